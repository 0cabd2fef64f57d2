package respawn

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Each conversion that GNU date(1) has too gives what date gives for the
// same instant, in UTC and in a zone with an offset; the ones of ts(1)
// are checked against their definition.
func TestTimestampsAsDateHasThem(t *testing.T) {
	date, err := exec.LookPath("date")
	if err != nil {
		t.Skip("no date(1)")
	}
	instants := []time.Time{
		time.Date(2026, 1, 1, 0, 0, 5, 7_008_009, time.UTC),       // a Thursday, ISO week 1
		time.Date(2027, 1, 3, 13, 4, 59, 999_999_999, time.UTC),   // a Sunday, ISO week 53 of 2026
		time.Date(2024, 12, 30, 23, 59, 0, 120_000_000, time.UTC), // ISO week 1 of 2025
	}
	convs := strings.Fields("%a %A %b %h %B %c %C %d %D %e %F %g %G %H %I %j %k %l %m %M %p %P %r %R %s %S %T %u %U %V %w %W %x %X %y %Y %z %:z %Z %N %3N %6N %9N %%")
	for _, zone := range []string{"UTC0", "EST5EDT,M3.2.0,M11.1.0", "<+0530>-5:30"} {
		loc := time.UTC
		if zone != "UTC0" {
			loc = fixedOrRule(t, zone) // the rules date has through TZ
		}
		for _, when := range instants {
			layout := strings.Join(convs, "|")
			ts, err := NewTimestamps(layout, loc)
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(date, "-d", fmt.Sprintf("@%d.%09d", when.Unix(), when.Nanosecond()), "+"+layout)
			cmd.Env = []string{"TZ=" + zone, "LC_ALL=C"}
			want, err := cmd.Output()
			if err != nil {
				t.Fatalf("date: %v", err)
			}
			got := string(ts.appendTime(nil, when))
			g, w := strings.Split(got, "|"), strings.Split(strings.TrimSuffix(string(want), "\n"), "|")
			for i := range convs {
				if i < len(g) && i < len(w) && g[i] != w[i] {
					t.Errorf("TZ=%s %v: %s gives %q, date gives %q", zone, when, convs[i], g[i], w[i])
				}
			}
			if len(g) != len(w) {
				t.Errorf("TZ=%s %v: %d fields, date %d", zone, when, len(g), len(w))
			}
		}
	}
}

func fixedOrRule(t *testing.T, zone string) *time.Location {
	switch zone {
	case "EST5EDT,M3.2.0,M11.1.0":
		loc, err := time.LoadLocation("America/New_York")
		if err != nil {
			t.Skipf("no zoneinfo for America/New_York: %v", err)
		}
		return loc
	case "<+0530>-5:30":
		return time.FixedZone("+0530", 5*3600+30*60)
	}
	t.Fatalf("zone %s", zone)
	return nil
}

func TestTimestampsTsAndDefaults(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	when := time.Date(2026, 11, 21, 12, 0, 1, 234_567_891, time.UTC)
	for _, c := range []struct {
		layout string
		loc    *time.Location
		want   string
	}{
		{"", time.UTC, "2026-11-21T12:00:01.234Z"},
		{"", cet, "2026-11-21T13:00:01.234+01:00"},
		{"%b %d %H:%M:%S", cet, "Nov 21 13:00:01"}, // ts(1)'s default
		{"%.S", time.UTC, "01.234567"},
		{"%.s", time.UTC, "1795262401.234567"},
		{"%.T", time.UTC, "12:00:01.234567"},
		{"[%F %T]", time.UTC, "[2026-11-21 12:00:01]"},
		{"no conversion", time.UTC, "no conversion"},
		{"100%%", time.UTC, "100%"},
	} {
		ts, err := NewTimestamps(c.layout, c.loc)
		if err != nil {
			t.Fatalf("%q: %v", c.layout, err)
		}
		if got := string(ts.appendTime(nil, when)); got != c.want {
			t.Errorf("%q (in %v) gives %q, want %q", c.layout, c.loc, got, c.want)
		}
	}
}

func TestTimestampsRefused(t *testing.T) {
	for layout, want := range map[string]string{
		"%Q":   "unknown conversion %Q",
		"%H:%": "a lone % at the end",
		"%n":   "newline",
		"a\nb": "newline",
		"%é":   "unknown conversion %é",
		"%-d":  "unknown conversion %-",
		"%.Q":  "unknown conversion %.",
		"%0N":  "unknown conversion %0",
	} {
		_, err := NewTimestamps(layout, time.UTC)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("NewTimestamps(%q) = %v, want an error with %q", layout, err, want)
		}
	}
}

// A block of lines is stamped line by line with one time, and the buffer
// it is stamped into is kept from block to block.
func TestStampBlock(t *testing.T) {
	ts, _ := NewTimestamps("%T", time.UTC)
	when := time.Date(2026, 11, 21, 12, 0, 1, 0, time.UTC)
	buf := stamp(nil, []byte("a\nbb\n\nccc\n"), ts, when)
	if string(buf) != "12:00:01 a\n12:00:01 bb\n12:00:01 \n12:00:01 ccc\n" {
		t.Errorf("stamp = %q", buf)
	}
	again := stamp(buf[:0], []byte("d\n"), ts, when)
	if string(again) != "12:00:01 d\n" || &again[0] != &buf[0] {
		t.Errorf("stamp into the kept buffer = %q", again)
	}
	if n := testing.AllocsPerRun(100, func() { again = stamp(again[:0], []byte("x\ny\n"), ts, when) }); n != 0 {
		t.Errorf("stamping a block allocates %v times", n)
	}
}
