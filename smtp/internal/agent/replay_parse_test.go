package agent

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/postfix-go/postfix-go/internal/strace"
)

// This file turns a transcript in testdata (an strace log of one stock
// Postfix 3.7.11 smtp/lmtp process, copied from the project's spec
// vectors) into what the replay test feeds the agent and what it expects
// back. The unstrace decoder is smtpwire's (vectors_test.go); the rest
// follows the descriptors through the log, because strace names
// sockets only by inode: a descriptor's role is fixed by the connect()
// that opened it and ends at its close().

// sysLine splits one strace line: the call name, its arguments and the
// return value. Greedy matching finds the last ") = ", so closing
// parentheses inside strings do not end the arguments.
var sysLine = regexp.MustCompile(`^\d+ +[\d:.]+ (\w+)\((.*)\) += (.*)$`)

var (
	fdArg     = regexp.MustCompile(`^(\d+)<(.*?)>(?:\(deleted\))?(?:, |$)`)
	strArg    = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"(\.\.\.)?`)
	qmgrDesc  = regexp.MustCompile(`,"private/(smtp|lmtp|relay)"\]$`)
	inetAddr  = regexp.MustCompile(`sin_port=htons\((\d+)\), sin_addr=inet_addr\("([\d.]+)"\)`)
	unixPath  = regexp.MustCompile(`sun_path="([^"]*)"`)
	logPrefix = regexp.MustCompile(`^\w+ +\d+ [\d:]+ \S+ \S+\[\d+\]: `)
	lseekArgs = regexp.MustCompile(`, (\d+), SEEK_SET$`)
)

// statusServices are the sockets of the status services; any other
// UNIX-domain connect is the LMTP session.
var statusServices = map[string]string{
	"private/bounce": "bounce", "private/defer": "defer", "private/trace": "trace",
	"private/verify": "verify", "public/flush": "flush",
}

// chunk is a run of session bytes in one direction. eof: the server
// closed (the client's read returned 0).
type chunk struct {
	server bool
	data   []byte
	eof    bool
}

// transcript is what one stock process did.
type transcript struct {
	request []byte // the delivery request, as read from qmgr
	reply   []byte // the reply to qmgr (without the protocol announcement)
	queue   []byte // the queue file, with what was read at its offsets
	// network and addr are the session's connect(); refused: stock's
	// connect() failed (nothing was ever read or written on it).
	network, addr string
	refused       bool
	session       []chunk
	status        []string // status requests, rendered by renderAttrs
	logs          []string // syslog lines without the syslog prefix
	marks         []int64  // D marks, in order
	// timeline is status requests, log lines and marks in stock's order.
	timeline []string
}

// parseTranscript reads testdata/name. Transcripts that cannot be
// replayed faithfully (several processes, truncated strings) fail here.
func parseTranscript(t *testing.T, name string) *transcript {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte("+++ exited")); n != 1 {
		t.Fatalf("%s: %d processes; the replay handles one", name, n)
	}
	tr := &transcript{}
	roles := map[int]string{} // fd -> "qmgr", "queue", "session", status service
	var (
		pos       = map[int]int64{} // queue file position per fd
		sessionIO bool
		announced bool
	)
	for ln, line := range strings.Split(string(b), "\n") {
		m := sysLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		call, args, ret := m[1], m[2], m[3]
		fm := fdArg.FindStringSubmatch(args)
		if fm == nil {
			continue
		}
		fd, _ := strconv.Atoi(fm[1])
		desc := fm[2]
		role := roles[fd]
		switch {
		case qmgrDesc.MatchString(desc):
			role = "qmgr"
		case strings.HasPrefix(desc, "$D/spool/") && !strings.HasPrefix(desc, "$D/spool/pid/"):
			role = "queue"
		}
		var data []byte
		if s := strArg.FindStringSubmatch(args[len(fm[0]):]); s != nil && (call == "read" || call == "write" || call == "sendto") {
			if s[2] != "" {
				t.Fatalf("%s:%d: strace truncated this string; the transcript cannot be replayed", name, ln+1)
			}
			data = unstrace(t, []byte(s[1]))
		}
		failed := strings.HasPrefix(ret, "-1")
		if failed && (call == "read" || call == "write") && role != "" {
			t.Fatalf("%s:%d: failed %s on the %s descriptor is not supported by the replay", name, ln+1, call, role)
		}
		switch call {
		case "connect":
			switch {
			case strings.Contains(args, "AF_INET,"):
				a := inetAddr.FindStringSubmatch(args)
				roles[fd], tr.network, tr.addr = "session", "tcp", a[2]+":"+a[1]
			case unixPath.MatchString(args):
				p := unixPath.FindStringSubmatch(args)[1]
				if svc, ok := statusServices[p]; ok {
					roles[fd] = svc
				} else {
					roles[fd], tr.network, tr.addr = "session", "unix", p
				}
			}
		case "close":
			delete(roles, fd)
		case "lseek":
			if role == "queue" {
				off, _ := strconv.ParseInt(lseekArgs.FindStringSubmatch(args)[1], 10, 64)
				pos[fd] = off
			}
		case "sendto":
			msg := logPrefix.ReplaceAllString(string(data), "")
			tr.logs = append(tr.logs, msg)
			tr.timeline = append(tr.timeline, "log: "+maskLog(msg))
		case "read", "write":
			write := call == "write"
			switch role {
			case "qmgr":
				switch {
				case !write && len(data) > 0:
					tr.request = append(tr.request, data...)
				case write && !announced:
					announced = true // the protocol announcement
				case write:
					tr.reply = append(tr.reply, data...)
				}
			case "queue":
				off := pos[fd]
				if write {
					if string(data) != "D" {
						t.Fatalf("%s:%d: unexpected queue file write %q", name, ln+1, data)
					}
					tr.marks = append(tr.marks, off)
					tr.timeline = append(tr.timeline, fmt.Sprintf("D %d", off))
				} else {
					if end := off + int64(len(data)); end > int64(len(tr.queue)) {
						tr.queue = append(tr.queue, make([]byte, end-int64(len(tr.queue)))...)
					}
					copy(tr.queue[off:], data)
				}
				pos[fd] = off + int64(len(data))
			case "session":
				sessionIO = true
				tr.addChunk(!write, data)
			case "":
			default: // a status service
				r := renderAttrs(data)
				switch {
				case write:
					tr.status = append(tr.status, role+": "+r)
					tr.timeline = append(tr.timeline, role+": "+r)
				case r != "status=0" && !strings.HasPrefix(r, "protocol="):
					// The replay's services always succeed.
					t.Fatalf("%s:%d: %s service answered %q; the replay supports status 0 only", name, ln+1, role, r)
				}
			}
		}
	}
	tr.refused = tr.network != "" && !sessionIO
	return tr
}

// addChunk appends session bytes, merging runs in one direction: the
// replay only cares about who speaks when, not how reads were split.
func (tr *transcript) addChunk(server bool, data []byte) {
	if n := len(tr.session); n > 0 && tr.session[n-1].server == server && !tr.session[n-1].eof && len(data) > 0 {
		tr.session[n-1].data = append(tr.session[n-1].data, data...)
		return
	}
	tr.session = append(tr.session, chunk{server: server, data: append([]byte(nil), data...), eof: server && len(data) == 0})
}

// renderAttrs shows an attribute list (name NUL value NUL ... NUL) as
// "name=value" pairs, so that status requests compare as readable text.
func renderAttrs(b []byte) string {
	f := strings.Split(string(b), "\x00")
	var out []string
	for i := 0; i+1 < len(f) && f[i] != ""; i += 2 {
		out = append(out, f[i]+"="+f[i+1])
	}
	return strings.Join(out, " ")
}

// delayFields are the timing fields of delivery lines; they depend on
// the clock, not on the agent's decisions.
var delayFields = regexp.MustCompile(`delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+`)

func maskLog(s string) string { return delayFields.ReplaceAllString(s, "delay=*, delays=*") }

// unstrace decodes strace's string notation, failing the test on a
// malformed transcript.
func unstrace(t *testing.T, s []byte) []byte {
	t.Helper()
	b, err := strace.Unquote(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// firstDiff describes where got departs from want.
func firstDiff(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	lo := max(0, i-40)
	return fmt.Sprintf("first difference at byte %d:\n  got  …%q\n  want …%q", i, got[lo:min(len(got), i+40)], want[lo:min(len(want), i+40)])
}
