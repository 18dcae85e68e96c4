package main

import (
	"time"

	"github.com/postfix-go/postfix-go/master-compat/config"
)

// paramReader loads parameters one after another, in stock's order, and
// keeps the first error: the order of loading decides what "$name"
// expansions see, so reading continues and the error is reported at the
// end, as one fatal start-up message.
type paramReader struct {
	c   *config.Dict
	err error
}

func (r *paramReader) note(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *paramReader) str(name string) string {
	v, err := r.c.Str(name)
	r.note(err)
	return v
}

func (r *paramReader) bool(name string) bool {
	v, err := r.c.Bool(name)
	r.note(err)
	return v
}

// int reads a non-negative integer.
func (r *paramReader) int(name string) int {
	v, err := r.c.Int(name, config.WithMin(0))
	r.note(err)
	return v
}

func (r *paramReader) time(name string, min int64) time.Duration {
	v, err := r.c.Time(name, config.WithMin(min))
	r.note(err)
	return v
}
