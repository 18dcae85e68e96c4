package queuefile

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Layout is the part of the configuration that maps a queue name and
// queue ID to a file (mail_queue_dir() and mail_queue_path()).
type Layout struct {
	// QueueDir is queue_directory. Leave it empty when the process runs
	// inside the queue directory (chrooted, or with it as the working
	// directory), as the stock agent does; paths are then relative.
	QueueDir string
	// HashQueueNames is hash_queue_names, already split; compared
	// case-insensitively with the queue name.
	HashQueueNames []string
	// HashQueueDepth is hash_queue_depth: subdirectory levels in a
	// hashed queue (at least 1).
	HashQueueDepth int
}

// Stock defaults (postconf -d).
const (
	DefaultHashQueueNames = "deferred, defer"
	DefaultHashQueueDepth = 1
)

// NewLayout builds a Layout from main.cf values; hashQueueNames is split
// at commas and white space like argv_split(..., CHARS_COMMA_SP).
func NewLayout(queueDir, hashQueueNames string, hashQueueDepth int) Layout {
	return Layout{
		QueueDir:       queueDir,
		HashQueueNames: strings.FieldsFunc(hashQueueNames, func(r rune) bool { return strings.ContainsRune(", \t\r\n", r) }),
		HashQueueDepth: hashQueueDepth,
	}
}

// DefaultLayout is NewLayout with the stock hash_queue_* defaults.
func DefaultLayout(queueDir string) Layout {
	return NewLayout(queueDir, DefaultHashQueueNames, DefaultHashQueueDepth)
}

// ValidQueueName is mail_queue_name_ok(): 1..100 ASCII letters and
// digits. It keeps "/" and ".." out of paths built from qmgr's request.
func ValidQueueName(name string) bool {
	if name == "" || len(name) > 100 {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !isAlnum(name[i]) {
			return false
		}
	}
	return true
}

// ValidQueueID is mail_queue_id_ok(): 1..255 (VALID_HOSTNAME_LEN) ASCII
// letters, digits and underscores (queue IDs, and fast-flush log file
// names with non-alphanumerics replaced by "_").
func ValidQueueID(id string) bool {
	if id == "" || len(id) > 255 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if !isAlnum(id[i]) && id[i] != '_' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

// Path returns the queue file path as stock prints it (VSTREAM_PATH),
// relative to queue_directory: queue name, hash directories when the
// queue is hashed, queue ID. E.g. "active/D38D99840D3",
// "deferred/1/10901984142". Stock panics on a malformed name or ID
// here; we return a Panic *Error with its text.
func (l Layout) Path(queueName, queueID string) (string, error) {
	if !ValidQueueName(queueName) {
		return "", &Error{Severity: Panic, Text: "mail_queue_dir: bad queue name: " + queueName}
	}
	if !ValidQueueID(queueID) {
		return "", &Error{Severity: Panic, Text: "mail_queue_dir: bad queue id: " + queueID}
	}
	var b strings.Builder
	b.WriteString(queueName)
	b.WriteByte('/')
	for _, h := range l.HashQueueNames {
		if !strings.EqualFold(h, queueName) {
			continue
		}
		if l.HashQueueDepth < 1 {
			return "", &Error{Severity: Panic, Text: fmt.Sprintf("dir_forest: depth %d", l.HashQueueDepth)}
		}
		b.WriteString(dirForest(hashSource(queueID), l.HashQueueDepth))
		break
	}
	b.WriteString(queueID)
	return b.String(), nil
}

// osPath turns a Path result into a name for system calls.
func (l Layout) osPath(path string) string {
	if l.QueueDir == "" {
		return path
	}
	return filepath.Join(l.QueueDir, path)
}

// dirForest is dir_forest(): one directory level per character of src,
// "_" once src runs out. src only holds queue ID characters or hex
// digits here, so the C code's checks for '.', '/' and unprintable
// characters cannot trigger.
func dirForest(src string, depth int) string {
	var b strings.Builder
	for i := 0; i < depth; i++ {
		if i < len(src) {
			b.WriteByte(src[i])
		} else {
			b.WriteByte('_')
		}
		b.WriteByte('/')
	}
	return b.String()
}

// Long queue IDs (enable_long_queue_ids): base-52 seconds (at least 6
// characters), base-52 microseconds (exactly 4), 'z', base-51 inode.
const (
	longIDTimePad  = 10 // MQID_LG_TIME_PAD: seconds + microseconds
	longIDUsecPad  = 4  // MQID_LG_USEC_PAD
	longIDUsecBase = 52 // MQID_LG_USEC_BASE
	longIDInumSep  = 'z'
	// safeChars is safe_ultostr()'s alphabet (digits, then consonants).
	safeChars = "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz"
)

// hashSource is what mail_queue_dir() feeds to dir_forest(): the queue
// ID itself for short IDs, whose first five characters are the arrival
// microseconds in hex; for long IDs the same microseconds, decoded from
// the four characters before the last 'z' and re-encoded as "%05X", so
// that both ID styles spread over the same directories.
func hashSource(queueID string) string {
	z := strings.LastIndexByte(queueID, longIDInumSep)
	if z < longIDTimePad { // also z < 0: not a long queue ID
		return queueID
	}
	var usec uint64
	for _, c := range []byte(queueID[z-longIDUsecPad : z]) {
		v := strings.IndexByte(safeChars, c)
		if v < 0 || v >= longIDUsecBase {
			// MQID_LG_GET_HEX_USEC: a decode error means 0.
			usec = 0
			break
		}
		usec = usec*longIDUsecBase + uint64(v)
	}
	return fmt.Sprintf("%05X", usec)
}
