package process

import "testing"

func TestParseStatOddName(t *testing.T) {
	st, err := parseStat([]byte("42 (a) (b c) S 1) T 7 42 5 34816 0 0 0 0 0 0 3 4 0 0 20 0 1 0 12345 0 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := Stat{State: 'T', PPID: 7, PGRP: 42, SID: 5, TTYNr: 34816, UTime: 3 * clockTick, STime: 4 * clockTick, Start: 12345 * clockTick}
	if st != want {
		t.Errorf("parseStat = %+v, want %+v", st, want)
	}
	for _, bad := range []string{"", "42 (x)", "42 (x) S 1 2 3", "42 (x) S a 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20"} {
		if _, err := parseStat([]byte(bad)); err == nil {
			t.Errorf("parseStat(%q) succeeded", bad)
		}
	}
}
