package bench

import (
	"testing"

	"github.com/postfix-go/postfix-go/tests/harness"
)

// TestMain removes the daemons harness.Daemon built once the run is over.
func TestMain(m *testing.M) { harness.Main(m) }
