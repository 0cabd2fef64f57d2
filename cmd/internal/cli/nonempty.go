package cli

import "errors"

// A NonEmpty is a string option that must not be empty: an empty file name
// or user is a mistake (an unset shell variable, say), never a way to leave
// the option out.
type NonEmpty string

// String prints the value.
func (s *NonEmpty) String() string { return string(*s) }

// Set refuses the empty string.
func (s *NonEmpty) Set(v string) error {
	if v == "" {
		return errEmpty
	}
	*s = NonEmpty(v)
	return nil
}

// Type names the value in --help.
func (s *NonEmpty) Type() string { return "string" }

// errEmpty refuses an empty value: a bad value, never the option left out.
var errEmpty = errors.New("cannot be empty")
