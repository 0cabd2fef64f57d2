// Command gnohup runs a command immune to hangups, with its output away from
// the terminal: GNU nohup, and a nohup whose command also survives programs
// that reset or catch SIGHUP.
//
// Usage:
//
//	gnohup [OPTION]... COMMAND [ARG]...
//
// gnohup(1) in docs/ documents every option and exit status.
package main

import (
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/gdetach/gdetach/cmd/internal/cli"
	"github.com/gdetach/gdetach/detach"
	"github.com/spf13/pflag"
)

func main() {
	// A write of gnohup's own to a broken pipe (its advisory line, a
	// message) fails with EPIPE instead of killing it, so it exits 125, as
	// nohup does when its caller ignored SIGPIPE, without running COMMAND.
	// Whether the caller ignored SIGPIPE cannot be known here: the Go runtime
	// replaced the disposition before main. COMMAND starts with SIGPIPE at
	// its default action all the same: exec resets a caught signal.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	cli.Main(program())
}

func program() cli.Program {
	opt := detach.Options{Log: log.New(os.Stderr, "gnohup: ", 0)}
	// Empty names are refused, never taken as absent: -o "$LOG" with LOG
	// unset would otherwise leave COMMAND on ssh's pipes.
	var output, pidfile cli.NonEmpty
	return cli.Program{
		Name:     "gnohup",
		Synopsis: "[OPTION]... COMMAND [ARG]...",
		Summary:  "Run COMMAND immune to hangups, outside the terminal's session.",
		Details: `If standard input is a terminal, redirect it from an unreadable file.
If standard output is a terminal, append output to 'nohup.out' if possible,
'$HOME/nohup.out' otherwise.
If standard error is a terminal, redirect it to standard output.
With -o FILE, all three are redirected whatever they are (pipes, sockets).
COMMAND runs in a new session, so the terminal's hangup cannot reach it.
With -f, gnohup exits as soon as COMMAND runs: over ssh, write
  ssh host 'cd app && gnohup -f -o app.log ./server'`,
		Flags: func(fs *pflag.FlagSet) {
			fs.VarP(&output, "output", "o", "take COMMAND off the caller's stdio: output to `FILE` (mode 0600), input from /dev/null")
			fs.BoolVarP(&opt.Quiet, "quiet", "q", false, "do not print the advisory line (\"ignoring input and appending output to …\")")
			fs.Var(&pidfile, "pidfile", "write COMMAND's PID to `FILE`; removed when it exits")
			fs.BoolVarP(&opt.Fork, "fork", "f", false, "start COMMAND in a new session and exit once it runs (no relay stays)")
			fs.BoolVar(&opt.KeepSession, "keep-session", false, "classic nohup: only ignore SIGHUP, stay in the session")
		},
		Run: func(argv []string) error {
			opt.Output, opt.Pidfile = string(output), string(pidfile)
			switch {
			case opt.Fork && opt.KeepSession:
				return cli.Usagef("--fork cannot be used with --keep-session")
			case opt.Fork && opt.Pidfile != "":
				// gnohup is gone once COMMAND runs: nobody would remove the
				// file, nor hold its lock.
				return cli.Usagef("--pidfile cannot be used with --fork")
			case opt.KeepSession && opt.Pidfile != "":
				return cli.Usagef("--pidfile cannot be used with --keep-session")
			}
			return detach.Run(argv, opt)
		},
		FailureStatus: failureStatus(),
		ReraiseSignal: true,
	}
}

// failureStatus is 125, or 127 when POSIXLY_CORRECT is set, as in coreutils.
func failureStatus() int {
	if _, posix := os.LookupEnv("POSIXLY_CORRECT"); posix {
		return 127
	}
	return cli.StatusFailure
}
