package maillog

import (
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"
)

// fatalExit follows msg_fatal(): only the first fatal or panic logs and cleans
// up, so a hook that fails fatally cannot recurse; every caller still sleeps
// and exits. The sleep keeps master(8) from respawning a broken daemon in a
// tight loop.
func (l *Logger) fatalExit(msg string) {
	if l.exiting.CompareAndSwap(false, true) {
		l.emit(sevFatal, msg)
		l.mu.Lock()
		hooks := append([]func(){}, l.cleanups...)
		l.mu.Unlock()
		for i := len(hooks) - 1; i >= 0; i-- {
			hooks[i]()
		}
	}
	l.opts.Sleep(time.Second)
	l.opts.Exit(1)
}

// panicAbort follows msg_panic(): log once, sleep, abort; exit(1) only if the
// abort did not kill the process.
func (l *Logger) panicAbort(msg string) {
	if l.exiting.CompareAndSwap(false, true) {
		l.emit(sevPanic, msg)
	}
	l.opts.Sleep(time.Second)
	l.opts.Abort()
	l.opts.Exit(1)
}

// abortProcess makes the process die by SIGABRT like C's abort(), so that
// master(8) logs "killed by signal 6". The Go runtime turns SIGABRT into a
// plain exit(2) unless tracebacks are set to "crash", in which case it dumps
// the goroutines to stderr and re-raises the signal with the default action.
func abortProcess() {
	debug.SetTraceback("crash")
	signal.Reset(syscall.SIGABRT) // undo any signal.Notify by the program
	_ = syscall.Kill(os.Getpid(), syscall.SIGABRT)
	// The signal is normally delivered before kill(2) returns; give it time
	// anyway before the caller's exit(1) fallback.
	time.Sleep(time.Second)
}
