package main

import (
	"flag"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the completion scripts under docs/completions")

func TestManPageDocumentsEveryOption(t *testing.T) {
	if err := program().CheckManPage("../../docs/grespawn.1"); err != nil {
		t.Error(err)
	}
}

func TestCompletionsAreUpToDate(t *testing.T) {
	if err := program().CheckCompletions("../../docs/completions", *update); err != nil {
		t.Error(err)
	}
}
