package cli

import "testing"

type fruit int

const (
	apple fruit = iota + 1
	pear
	plum
)

// FuzzChoice checks that a Choice takes exactly its words, gives the word
// back, and leaves its value alone on an error that lists the words.
func FuzzChoice(f *testing.F) {
	for _, s := range []string{
		"apple", "pear", "plum",
		"", " ", "Apple", "APPLE", "pear ", " plum", "plum\n", "apple\x00", "pea", "pears",
		"0", "1", "-1", "ǹever", "alwayſ",
	} {
		f.Add(s)
	}
	words := map[string]fruit{"apple": apple, "pear": pear, "plum": plum}
	f.Fuzz(func(t *testing.T, s string) {
		v := pear
		c := NewChoice(&v, "fruit", []string{"apple", "pear", "plum"}, []fruit{apple, pear, plum})
		err := c.Set(s)
		want, ok := words[s]
		if !ok {
			if err == nil || err.Error() != "want apple, pear or plum" || v != pear {
				t.Fatalf("Set(%q) = %v, value %v; want the error that lists the words, the value kept", s, err, v)
			}
			return
		}
		if err != nil || v != want || c.String() != s {
			t.Fatalf("Set(%q) = %v, value %v, String %q; want %v", s, err, v, c.String(), want)
		}
	})
}

func TestChoiceStringOutOfRange(t *testing.T) {
	v := fruit(99)
	if got := NewChoice(&v, "fruit", []string{"apple"}, []fruit{apple}).String(); got != "" {
		t.Errorf("String() of a value no word stands for = %q, want \"\"", got)
	}
}

func TestCount(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
		err  string
	}{
		{"0", 0, ""},
		{"5", 5, ""},
		{"2147483647", 2147483647, ""},
		{"2147483648", 0, "want a whole number from 0 to 2147483647"},
		{"99999999999999999999999", 0, "want a whole number from 0 to 2147483647"},
		{"-1", 0, "cannot be negative"},
		{"-", 0, "want a whole number from 0 to 2147483647"},
		{"", 0, "want a whole number from 0 to 2147483647"},
		{"+3", 0, "want a whole number from 0 to 2147483647"},
		{"3x", 0, "want a whole number from 0 to 2147483647"},
		{"abc", 0, "want a whole number from 0 to 2147483647"},
		{"٣", 0, "want a whole number from 0 to 2147483647"},
	} {
		var n Count
		err := n.Set(c.in)
		if c.err == "" && (err != nil || int(n) != c.want) {
			t.Errorf("Set(%q) = %v, value %d; want %d", c.in, err, n, c.want)
		}
		if c.err != "" && (err == nil || err.Error() != c.err) {
			t.Errorf("Set(%q) = %v; want %q", c.in, err, c.err)
		}
	}
}
