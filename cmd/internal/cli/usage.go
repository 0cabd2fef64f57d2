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

// gnuParseMessage words a pflag parse error the way getopt_long does, which
// is what users of the classic tools know.
func gnuParseMessage(err error) string {
	var notExist *pflag.NotExistError
	var needsValue *pflag.ValueRequiredError
	var invalid *pflag.InvalidValueError
	var syntax *pflag.InvalidSyntaxError
	switch {
	case errors.As(err, &notExist) && notExist.GetSpecifiedShortnames() != "":
		return fmt.Sprintf("invalid option -- '%s'", notExist.GetSpecifiedName())
	case errors.As(err, &notExist):
		return fmt.Sprintf("unrecognized option '--%s'", quote(notExist.GetSpecifiedName()))
	case errors.As(err, &needsValue) && needsValue.GetSpecifiedShortnames() != "":
		return fmt.Sprintf("option requires an argument -- '%s'", needsValue.GetSpecifiedName())
	case errors.As(err, &needsValue):
		return fmt.Sprintf("option '--%s' requires an argument", needsValue.GetSpecifiedName())
	case errors.As(err, &invalid):
		return fmt.Sprintf("invalid argument '%s' for '--%s': %v", quote(invalid.GetValue()), invalid.GetFlag().Name, errors.Unwrap(invalid))
	case errors.As(err, &syntax):
		return fmt.Sprintf("unrecognized option '%s'", quote(syntax.GetSpecifiedFlag()))
	}
	return err.Error()
}
