package conformance

import (
	"testing"

	"github.com/postfix-go/postfix-go/tests/harness"
)

// TestMain removes the daemons harness.Daemon built once all tests ran.
func TestMain(m *testing.M) { harness.Main(m) }
