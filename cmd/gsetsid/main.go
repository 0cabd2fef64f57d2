// Command gsetsid runs a program in a new session, without a controlling
// terminal: util-linux setsid, option for option, that also reports exec
// failures after a fork and relays signals while it waits.
//
// Usage:
//
//	gsetsid [-c] [-f] [-w] [--] PROGRAM [ARG]...
//
// gsetsid(1) in docs/ documents every option and exit status.
package main

import (
	"github.com/gdetach/gdetach/cmd/internal/cli"
	"github.com/gdetach/gdetach/session"
	"github.com/spf13/pflag"
)

func main() { cli.Main(program()) }

func program() cli.Program {
	var opt session.Options
	return cli.Program{
		Name:     "gsetsid",
		Synopsis: "[OPTION]... PROGRAM [ARG]...",
		Summary:  "Run PROGRAM in a new session, without a controlling terminal.",
		Flags: func(fs *pflag.FlagSet) {
			fs.BoolVarP(&opt.Ctty, "ctty", "c", false, "set the controlling terminal to the current one (standard input)")
			fs.BoolVarP(&opt.Fork, "fork", "f", false, "always fork")
			fs.BoolVarP(&opt.Wait, "wait", "w", false, "wait for PROGRAM, pass signals on, and return its status")
		},
		Run:       func(argv []string) error { return session.Run(argv, opt) },
		NoOperand: "no command specified",
		// util-linux setsid exits 1 for its own failures, usage errors included.
		FailureStatus: 1,
		// -w: die of the signal that killed the program, so that a shell
		// loop sees the Ctrl-C as such, as it would without gsetsid.
		ReraiseSignal: true,
	}
}
