package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/pflag"
)

// A UsageError is a mistake in the command line. Main prints it with a
// pointer to --help and exits with the program's failure status.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef returns a *UsageError with a formatted message.
func Usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// gnuParseMessage words an error of pflag's as getopt_long's users know it.
// pflag sees the options only as getopt has spelled them out, checked (see
// getopt), so its one mistake left is a value its option's Set refuses.
func gnuParseMessage(err error) string {
	var invalid *pflag.InvalidValueError
	if errors.As(err, &invalid) {
		return fmt.Sprintf("invalid argument '%s' for '--%s': %v", quote(invalid.GetValue()), invalid.GetFlag().Name, errors.Unwrap(invalid))
	}
	return err.Error()
}
