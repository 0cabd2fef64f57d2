package execvp

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"
)

// Strerror says err in the C library's words, as the classic tools print
// it: "No such file or directory", where Go says "no such file or
// directory". A cause that is not an errno is said as it is.
func Strerror(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err.Error()
	}
	s := errno.Error()
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
}

// Quote quotes s as coreutils' quoteaf does, for a shell to read back: in
// single quotes ('prog'), in double quotes when it holds a single quote and
// nothing double quotes would change ("it's"), and with a byte no terminal
// should be sent written as $'\n' between the quoted parts ('new'$'\n”line').
// A message never gets a second line or a raw control byte from it.
func Quote(s string) string {
	if strings.Contains(s, "'") && !strings.ContainsAny(s, "\"$`\\") && !needsEscape(s) {
		return `"` + s + `"`
	}
	var b strings.Builder
	b.WriteByte('\'')
	quoted := true
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1, !unicode.IsPrint(r) && r != ' ':
			if quoted {
				b.WriteByte('\'')
			}
			b.WriteString("$'")
			for _, c := range []byte(s[i : i+size]) {
				b.WriteString(escape(c))
			}
			b.WriteByte('\'')
			quoted = false
		default:
			if !quoted {
				b.WriteByte('\'')
				quoted = true
			}
			if r == '\'' {
				b.WriteString(`'\''`)
			} else {
				b.WriteString(s[i : i+size])
			}
		}
		i += size
	}
	if quoted {
		b.WriteByte('\'')
	}
	return b.String()
}

// QuoteIfNeeded is s as it is, util-linux's way, unless it holds a byte no
// terminal should be sent: then Quote's.
func QuoteIfNeeded(s string) string {
	if needsEscape(s) {
		return Quote(s)
	}
	return s
}

func needsEscape(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	return strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' })
}

// escape is a byte as it is written between $' and ': C's escapes.
func escape(c byte) string {
	switch c {
	case '\a':
		return `\a`
	case '\b':
		return `\b`
	case '\t':
		return `\t`
	case '\n':
		return `\n`
	case '\v':
		return `\v`
	case '\f':
		return `\f`
	case '\r':
		return `\r`
	}
	return fmt.Sprintf(`\%03o`, c)
}
