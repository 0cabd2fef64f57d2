package respawn

import "testing"

// FuzzParseWhen checks that ParseWhen accepts exactly the three words, that
// String gives the word back, and that Set leaves a When alone on an error.
func FuzzParseWhen(f *testing.F) {
	for _, s := range []string{
		"always", "on-failure", "never",
		"", " ", "Always", "ALWAYS", "on_failure", "onfailure", "on-failure ", " always", "always\n", "never\x00",
		"sometimes", "0", "1", "-1", "ǹever", "alwayſ",
	} {
		f.Add(s)
	}
	words := map[string]When{"always": Always, "on-failure": OnFailure, "never": Never}
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseWhen(s)
		want, ok := words[s]
		if !ok {
			if err == nil || err.Error() != "want always, on-failure or never" {
				t.Fatalf("ParseWhen(%q) = %v, %v; want the error that lists the words", s, w, err)
			}
			set := OnFailure
			if err := set.Set(s); err == nil || set != OnFailure {
				t.Fatalf("Set(%q) = %v, when %v; want an error, when left on-failure", s, err, set)
			}
			return
		}
		if err != nil || w != want || w.String() != s {
			t.Fatalf("ParseWhen(%q) = %v, %v; want %v", s, w, err, want)
		}
		var set When
		if err := set.Set(s); err != nil || set != want {
			t.Fatalf("Set(%q) = %v, when %v", s, err, set)
		}
	})
}
