package pipeline

import (
	"errors"
	"fmt"

	"github.com/sourcegraph/conc/panics"
)

// ItemError is the error of one item in one stage: what the stage function
// returned, or the [*PanicError] of the panic it raised. The item itself is
// read back, typed, with [ItemOf].
type ItemError struct {
	Stage string // the name of the stage that failed
	Err   error  // the cause
	item  any
}

// Error names the stage and the item, then the cause:
// "stage fetch, item MSFT: HTTP 503". The item is named by its String
// method if it has one, otherwise by its %v form cut to 80 bytes.
func (e *ItemError) Error() string {
	return fmt.Sprintf("stage %s, item %s: %v", e.Stage, describe(e.item), e.Err)
}

// Unwrap returns the cause.
func (e *ItemError) Unwrap() error { return e.Err }

// ItemOf returns the item of the first [*ItemError] in err's tree, as
// errors.As finds it, and whether there is one and its item is a T. The
// item is of the input type of the stage that failed, so the stage name
// tells which T to ask for:
//
//	if sym, ok := pipeline.ItemOf[string](err); ok { … }
func ItemOf[T any](err error) (T, bool) {
	if e, ok := errors.AsType[*ItemError](err); ok {
		item, ok := e.item.(T)
		return item, ok
	}
	var zero T
	return zero, false
}

// describe names an item in an error: its String method if it has one,
// otherwise its %v form cut to a readable length.
func describe(item any) string {
	if s, ok := item.(fmt.Stringer); ok {
		return s.String()
	}
	const max = 80
	s := fmt.Sprintf("%v", item)
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// PanicError is a panic raised by a stage function, caught and returned as
// the item's error.
type PanicError struct {
	Value any    // what was passed to panic
	Stack []byte // the stack of the panicking goroutine
}

// Error reports the panic's value: "panic: boom".
func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// catch runs fn and turns a panic into a *PanicError.
func catch(fn func() error) error {
	var err error
	var catcher panics.Catcher
	catcher.Try(func() { err = fn() })
	if r := catcher.Recovered(); r != nil {
		return &PanicError{Value: r.Value, Stack: r.Stack}
	}
	return err
}
