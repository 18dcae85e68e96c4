// Package tests holds integration tests that run our daemons under a
// private stock Postfix instance (see tests/harness). They need root and
// the postfix package and skip otherwise.
package tests

import (
	"testing"

	"github.com/postfix-go/postfix-go/tests/harness"
)

// TestMain removes the daemons harness.Daemon built once all tests ran.
func TestMain(m *testing.M) { harness.Main(m) }
