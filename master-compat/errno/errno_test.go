package errno

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"testing"
)

func TestOfAndText(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, "Application error"},
		{io.EOF, "Application error"},
		{fmt.Errorf("connect: %w", syscall.ECONNREFUSED), "Connection refused"},
		{&os.PathError{Op: "open", Path: "x", Err: syscall.ENOENT}, "No such file or directory"},
		{os.ErrDeadlineExceeded, "Connection timed out"},
		{context.DeadlineExceeded, "Connection timed out"},
		{context.Canceled, "Operation canceled"},
		{errors.New("protocol botch"), "Application error"},
	}
	for _, tt := range tests {
		if got := Text(Of(tt.err)); got != tt.want {
			t.Errorf("Text(Of(%v)) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
