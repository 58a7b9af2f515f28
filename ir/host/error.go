package host

import "fmt"

// Error is a host or pattern that cannot be used. Offset is the byte offset
// of the problem in the string as given (before trimming), so a caller can
// add it to the column of a TOML key; it is 0 when the whole input is at
// fault or the place is lost (after percent-decoding or IDNA mapping).
type Error struct {
	Input  string // the string as given
	Offset int    // byte offset into Input, 0 <= Offset <= len(Input)
	Msg    string // lowercase, no trailing period
}

// Error returns the message alone: callers print the position themselves.
func (e *Error) Error() string { return e.Msg }

// errorAt builds an Error at offset off of the string being examined.
func errorAt(off int, format string, args ...any) *Error {
	return &Error{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// shift moves the offset by n bytes, for an error found in a substring.
func (e *Error) shift(n int) *Error {
	e.Offset += n
	return e
}

// finish records the input and clamps the offset into it.
func (e *Error) finish(input string) *Error {
	e.Input = input
	e.Offset = min(max(e.Offset, 0), len(input))
	return e
}
