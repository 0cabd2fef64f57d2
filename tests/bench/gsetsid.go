//go:build linux

package main

import (
	"fmt"
	"path/filepath"
	"strings"
)

// gsetsidStartup compares `gsetsid true` with util-linux `setsid true`, in
// place and forked with -w.
func gsetsidStartup(b *strings.Builder, runs int, bin, floor string) error {
	gsetsid := filepath.Join(bin, "gsetsid")
	samples, err := measure(runs,
		command{label: "`setsid true` (util-linux)", argv: []string{"setsid", "true"}},
		command{label: "`gsetsid true` (setsid and exec in place)", argv: []string{gsetsid, "true"}},
		command{label: "Go floor: a Go program that only execs `true`", argv: []string{floor, "true"}},
		command{label: "`setsid -f -w true` (util-linux)", argv: []string{"setsid", "-f", "-w", "true"}},
		command{label: "`gsetsid -f -w true` (fork, relay signals, wait)", argv: []string{gsetsid, "-f", "-w", "true"}},
	)
	if err != nil {
		return err
	}
	classic, g, fl, classicFork, gFork := samples[0], samples[1], samples[2], samples[3], samples[4]
	fmt.Fprintf(b, "## gsetsid vs util-linux setsid\n\n")
	table(b, samples)
	fmt.Fprintf(b, "**`gsetsid true` / `setsid true`: %.2f×** (medians; target ≤ 1.05×); forked and waiting, %.2f×.\n\n",
		ratio(g.median(), classic.median()), ratio(gFork.median(), classicFork.median()))
	fmt.Fprintf(b, "As for gnohup, the Go runtime's start-up is most of the difference: the Go floor alone is %.2f× setsid,\n",
		ratio(fl.median(), classic.median()))
	fmt.Fprintf(b, "and gsetsid's own work above it (option parsing, the PATH search, setsid) is %s.\n\n", us(g.median()-fl.median()))
	return nil
}
