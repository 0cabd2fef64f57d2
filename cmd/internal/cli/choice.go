package cli

import (
	"fmt"
	"strings"
)

// A Choice is an option whose value is one of a few words, each standing
// for a value of T (--restart always|on-failure|never). The words are the
// command line's; the library that takes the value never sees them.
type Choice[T comparable] struct {
	value  *T
	words  []string
	values []T
	kind   string
}

// NewChoice returns the option value that sets *value to values[i] for
// words[i]; kind names the value in --help.
func NewChoice[T comparable](value *T, kind string, words []string, values []T) *Choice[T] {
	if len(words) != len(values) {
		panic("cli: a choice needs as many values as words")
	}
	return &Choice[T]{value: value, words: words, values: values, kind: kind}
}

// String is the word for the current value, or "" for a value no word
// stands for.
func (c *Choice[T]) String() string {
	for i, v := range c.values {
		if v == *c.value {
			return c.words[i]
		}
	}
	return ""
}

// Set takes one of the words, exactly; anything else is an error that
// lists them, and leaves the value alone.
func (c *Choice[T]) Set(s string) error {
	for i, w := range c.words {
		if s == w {
			*c.value = c.values[i]
			return nil
		}
	}
	return fmt.Errorf("want %s", orList(c.words))
}

// Type names the value in --help.
func (c *Choice[T]) Type() string { return c.kind }

// Choices lists the words Set takes, for shell completion.
func (c *Choice[T]) Choices() []string { return c.words }

// orList joins words as "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// A Count is a number option that cannot be negative: a count, a limit,
// 0 often meaning none. It fits an int on every platform.
type Count int

// maxCount is the largest Count, whatever the size of int.
const maxCount = 1<<31 - 1

func (c *Count) String() string { return fmt.Sprint(int(*c)) }

// Set parses a decimal number from 0 to 2147483647.
func (c *Count) Set(s string) error {
	if len(s) > 1 && s[0] == '-' && isDigits(s[1:]) {
		return fmt.Errorf("cannot be negative")
	}
	var n int64
	for _, r := range s {
		if r < '0' || r > '9' || n > maxCount {
			break
		}
		n = n*10 + int64(r-'0')
	}
	if !isDigits(s) || n > maxCount {
		return fmt.Errorf("want a whole number from 0 to %d", maxCount)
	}
	*c = Count(n)
	return nil
}

// Type names the value in --help.
func (c *Count) Type() string { return "int" }
