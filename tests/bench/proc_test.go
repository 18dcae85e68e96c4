package bench

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is USER_HZ, the unit of utime/stime in /proc/PID/stat. The
// kernel fixes it at 100 for user space on every Linux architecture we
// run on; reading sysconf(_SC_CLK_TCK) would need cgo.
const clockTick = 10 * time.Millisecond

// cpuTime returns utime+stime of pid, all threads included (a Go server
// runs its collector and timers on other threads; that work counts).
// tests/harness has ProcStatus for /proc/PID/status but nothing for the
// CPU fields of /proc/PID/stat, hence this local helper.
func cpuTime(pid int) (time.Duration, error) {
	path := "/proc/" + strconv.Itoa(pid) + "/stat"
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	// comm may contain spaces and ")"; fields after the last ")" start
	// with field 3 (state), so utime (14) and stime (15) are at 11, 12.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("parse %s: no comm", path)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("parse %s: short line", path)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("parse %s: utime %q stime %q", path, f[11], f[12])
	}
	return time.Duration(utime+stime) * clockTick, nil
}
