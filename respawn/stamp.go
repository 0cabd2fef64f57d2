package respawn

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Timestamps says how the log's lines are stamped with the time they were
// read: every line of a batch read at once gets the same time.
type Timestamps struct {
	loc   *time.Location
	items []stampItem // the layout, compiled; nil: RFC 3339 with milliseconds
}

// A stampItem is a piece of a layout: literal text, or a conversion that
// appends a part of the time.
type stampItem struct {
	text string
	conv func(b []byte, t time.Time) []byte
}

// rfc3339Milli is the default layout: "2026-11-21T12:00:01.234Z" in UTC,
// "2026-11-21T13:00:01.234+01:00" in local time.
const rfc3339Milli = "2006-01-02T15:04:05.000Z07:00"

// NewTimestamps compiles a layout in the manner of strftime(3) and of
// moreutils' ts(1): the conversions of the C locale (%Y, %m, %d, %H, %M,
// %S, %b, %a, %F, %T, %z, %Z, %s …), GNU date's %N (nanoseconds, %3N
// milliseconds, %6N microseconds) and %:z (+hh:mm), and ts's %.S, %.s and
// %.T (seconds with microseconds). The empty layout is RFC 3339 with
// milliseconds. Times are in loc: time.UTC, or time.Local (TZ).
func NewTimestamps(layout string, loc *time.Location) (*Timestamps, error) {
	ts := &Timestamps{loc: loc}
	if layout == "" {
		return ts, nil
	}
	var text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			ts.items = append(ts.items, stampItem{text: text.String()})
			text.Reset()
		}
	}
	for i := 0; i < len(layout); i++ {
		c := layout[i]
		if c == '\n' {
			return nil, errors.New("a line's time cannot hold a newline")
		}
		if c != '%' {
			text.WriteByte(c)
			continue
		}
		spec, conv, err := conversion(layout[i+1:])
		if err != nil {
			return nil, err
		}
		i += len(spec)
		if spec == "%" {
			text.WriteByte('%')
			continue
		}
		flush()
		ts.items = append(ts.items, stampItem{conv: conv})
	}
	flush()
	if ts.items == nil { // a layout of text alone: still a layout
		ts.items = []stampItem{{text: ""}}
	}
	return ts, nil
}

// appendTime appends t as the layout has it.
func (ts *Timestamps) appendTime(b []byte, t time.Time) []byte {
	t = t.In(ts.loc)
	if ts.items == nil {
		return t.AppendFormat(b, rfc3339Milli)
	}
	for _, it := range ts.items {
		if it.conv != nil {
			b = it.conv(b, t)
		} else {
			b = append(b, it.text...)
		}
	}
	return b
}

// conversion reads the conversion at the start of s (what follows a '%')
// and returns its spelling there and what it appends.
func conversion(s string) (string, func([]byte, time.Time) []byte, error) {
	if s == "" {
		return "", nil, fmt.Errorf("a lone %% at the end")
	}
	switch {
	case strings.HasPrefix(s, ":z"):
		return ":z", func(b []byte, t time.Time) []byte { return t.AppendFormat(b, "-07:00") }, nil
	case len(s) >= 2 && s[0] == '.' && strings.ContainsRune("SsT", rune(s[1])):
		// ts(1): seconds, epoch seconds, or the time, with microseconds.
		base := simple[s[1]]
		return s[:2], func(b []byte, t time.Time) []byte {
			return appendFraction(base(b, t), t, 6)
		}, nil
	case len(s) >= 2 && s[0] >= '1' && s[0] <= '9' && s[1] == 'N':
		digits := int(s[0] - '0')
		return s[:2], func(b []byte, t time.Time) []byte { return appendDigits(b, t.Nanosecond(), 9)[:len(b)+digits] }, nil
	case s[0] == 'N':
		return "N", func(b []byte, t time.Time) []byte { return appendDigits(b, t.Nanosecond(), 9) }, nil
	case s[0] == '%':
		return "%", nil, nil
	case s[0] == 'n':
		return "", nil, fmt.Errorf("%%n: a line's time cannot hold a newline")
	}
	if f, ok := simple[s[0]]; ok {
		return s[:1], f, nil
	}
	r := []rune(s)[0]
	return "", nil, fmt.Errorf("unknown conversion %%%c", r)
}

// appendFraction appends '.' and the first digits of t's fraction of a
// second.
func appendFraction(b []byte, t time.Time, digits int) []byte {
	b = append(b, '.')
	return appendDigits(b, t.Nanosecond(), 9)[:len(b)+digits]
}

// appendDigits appends n with at least width digits, zero-padded.
func appendDigits(b []byte, n, width int) []byte {
	s := strconv.Itoa(n)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// appendSpaced appends n with at least width characters, space-padded.
func appendSpaced(b []byte, n, width int) []byte {
	s := strconv.Itoa(n)
	for i := len(s); i < width; i++ {
		b = append(b, ' ')
	}
	return append(b, s...)
}

// layoutOf is a conversion made of a Go layout.
func layoutOf(goLayout string) func([]byte, time.Time) []byte {
	return func(b []byte, t time.Time) []byte { return t.AppendFormat(b, goLayout) }
}

// hour12 is t's hour on a 12-hour clock.
func hour12(t time.Time) int {
	if h := t.Hour() % 12; h != 0 {
		return h
	}
	return 12
}

// weekOfYear is strftime's %U (first day 0, Sunday) and %W (first day 1,
// Monday): the week of the year, the days before the first such day in
// week 0.
func weekOfYear(t time.Time, first int) int {
	return (t.YearDay() + 6 - (int(t.Weekday())-first+7)%7) / 7
}

// simple are the conversions of one letter, as the C locale has them.
var simple = map[byte]func([]byte, time.Time) []byte{
	'a': layoutOf("Mon"),
	'A': layoutOf("Monday"),
	'b': layoutOf("Jan"),
	'h': layoutOf("Jan"),
	'B': layoutOf("January"),
	'c': layoutOf("Mon Jan _2 15:04:05 2006"),
	'C': func(b []byte, t time.Time) []byte { return appendDigits(b, t.Year()/100, 2) },
	'd': layoutOf("02"),
	'D': layoutOf("01/02/06"),
	'e': layoutOf("_2"),
	'F': layoutOf("2006-01-02"),
	'g': func(b []byte, t time.Time) []byte { y, _ := t.ISOWeek(); return appendDigits(b, y%100, 2) },
	'G': func(b []byte, t time.Time) []byte { y, _ := t.ISOWeek(); return strconv.AppendInt(b, int64(y), 10) },
	'H': layoutOf("15"),
	'I': layoutOf("03"),
	'j': layoutOf("002"),
	'k': func(b []byte, t time.Time) []byte { return appendSpaced(b, t.Hour(), 2) },
	'l': func(b []byte, t time.Time) []byte { return appendSpaced(b, hour12(t), 2) },
	'm': layoutOf("01"),
	'M': layoutOf("04"),
	'p': layoutOf("PM"),
	'P': layoutOf("pm"),
	'r': layoutOf("03:04:05 PM"),
	'R': layoutOf("15:04"),
	's': func(b []byte, t time.Time) []byte { return strconv.AppendInt(b, t.Unix(), 10) },
	'S': layoutOf("05"),
	't': func(b []byte, _ time.Time) []byte { return append(b, '\t') },
	'T': layoutOf("15:04:05"),
	'u': func(b []byte, t time.Time) []byte { return strconv.AppendInt(b, int64((int(t.Weekday())+6)%7+1), 10) },
	'U': func(b []byte, t time.Time) []byte { return appendDigits(b, weekOfYear(t, 0), 2) },
	'V': func(b []byte, t time.Time) []byte { _, w := t.ISOWeek(); return appendDigits(b, w, 2) },
	'w': func(b []byte, t time.Time) []byte { return strconv.AppendInt(b, int64(t.Weekday()), 10) },
	'W': func(b []byte, t time.Time) []byte { return appendDigits(b, weekOfYear(t, 1), 2) },
	'x': layoutOf("01/02/06"),
	'X': layoutOf("15:04:05"),
	'y': layoutOf("06"),
	'Y': func(b []byte, t time.Time) []byte { return strconv.AppendInt(b, int64(t.Year()), 10) },
	'z': layoutOf("-0700"),
	'Z': layoutOf("MST"),
}
