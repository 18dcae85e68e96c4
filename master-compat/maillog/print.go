package maillog

import "fmt"

// ErrorLimit is the number of Error records after which the process gives
// up, as msg_error() does.
const ErrorLimit = 13

// Info logs an informational record (no severity prefix).
func (l *Logger) Info(msg string) { l.emit(sevInfo, msg) }

// Infof is Info with fmt.Sprintf formatting.
func (l *Logger) Infof(format string, args ...any) { l.emit(sevInfo, fmt.Sprintf(format, args...)) }

// Warn logs "warning: msg".
func (l *Logger) Warn(msg string) { l.emit(sevWarn, msg) }

// Warnf is Warn with fmt.Sprintf formatting.
func (l *Logger) Warnf(format string, args ...any) { l.emit(sevWarn, fmt.Sprintf(format, args...)) }

// Error logs "error: msg"; the ErrorLimit-th call is followed by Fatal.
func (l *Logger) Error(msg string) { l.countError(msg) }

// Errorf is Error with fmt.Sprintf formatting.
func (l *Logger) Errorf(format string, args ...any) { l.countError(fmt.Sprintf(format, args...)) }

// Fatal logs "fatal: msg", runs the cleanup hooks, sleeps one second and
// exits with status 1. It returns only if Options.Exit does.
func (l *Logger) Fatal(msg string) { l.fatalExit(msg) }

// Fatalf is Fatal with fmt.Sprintf formatting.
func (l *Logger) Fatalf(format string, args ...any) { l.fatalExit(fmt.Sprintf(format, args...)) }

// Panic logs "panic: msg", sleeps one second and aborts (SIGABRT) without
// running cleanup hooks. It returns only if Options.Abort and Options.Exit do.
func (l *Logger) Panic(msg string) { l.panicAbort(msg) }

// Panicf is Panic with fmt.Sprintf formatting.
func (l *Logger) Panicf(format string, args ...any) { l.panicAbort(fmt.Sprintf(format, args...)) }

// Verbose returns the msg_verbose level (the number of -v options, raised
// temporarily by debug_peer_list).
func (l *Logger) Verbose() int { return int(l.verbose.Load()) }

// SetVerbose sets the verbose level and returns the previous one so that a
// temporary raise can be undone.
func (l *Logger) SetVerbose(level int) int { return int(l.verbose.Swap(int32(level))) }

// Verbosef logs an info record when the verbose level is at least level;
// it stands for Postfix's "if (msg_verbose > N) msg_info(...)".
func (l *Logger) Verbosef(level int, format string, args ...any) {
	if l.Verbose() >= level {
		l.emit(sevInfo, fmt.Sprintf(format, args...))
	}
}

func (l *Logger) countError(msg string) {
	l.emit(sevError, msg)
	l.mu.Lock()
	l.errorCount++
	n := l.errorCount
	l.mu.Unlock()
	if n >= ErrorLimit {
		l.fatalExit("too many errors - program terminated")
	}
}
