package main

import "testing"

func TestManPageDocumentsEveryOption(t *testing.T) {
	if err := program().CheckManPage("../../docs/grespawn.1"); err != nil {
		t.Error(err)
	}
}
