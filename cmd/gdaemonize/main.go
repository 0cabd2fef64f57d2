// Command gdaemonize turns a command into a Unix daemon, a drop-in for
// daemonize(1) that never lies to its caller, and reports on or stops that
// daemon by its pidfile, for init scripts.
//
// Usage:
//
//	gdaemonize [OPTION]... [--] COMMAND [ARG]...
//	gdaemonize --status --pidfile FILE
//	gdaemonize --stop --pidfile FILE [--signal SIG] [--timeout D]
//
// gdaemonize(1) in docs/ documents every option and exit status.
package main

import (
	"fmt"
	"log"
	"os"
	"syscall"
	"time"

	"github.com/gdetach/gdetach/cmd/internal/cli"
	"github.com/gdetach/gdetach/daemonize"
	"github.com/spf13/pflag"
)

func main() { cli.Main(program()) }

func program() cli.Program {
	cfg := daemonize.Config{Umask: daemonize.DefaultUmask}
	umask := cli.OctalMode(daemonize.DefaultUmask)
	sig := cli.Signal(syscall.SIGTERM)
	var verbose, status, stop bool
	timeout := cli.Duration(10 * time.Second)
	notifyTimeout := cli.Duration(daemonize.DefaultNotifyTimeout)
	var fs *pflag.FlagSet
	return cli.Program{
		Name:     "gdaemonize",
		Synopsis: "[OPTION]... [--] COMMAND [ARG]...\n  or:  gdaemonize --status|--stop --pidfile FILE",
		Summary:  "Run COMMAND as a daemon; return once it runs. Report on or stop it by its pidfile.",
		Flags: func(f *pflag.FlagSet) {
			fs = f
			f.BoolVarP(&cfg.Append, "append", "a", false, "append to the output files instead of truncating them")
			f.StringVarP(&cfg.Dir, "chdir", "c", "", "run in `DIR` (default /)")
			f.StringVarP(&cfg.Stderr, "stderr", "e", "", "send standard error to `FILE` (default /dev/null)")
			f.StringVarP(&cfg.Stdout, "stdout", "o", "", "send standard output to `FILE` (default /dev/null)")
			f.StringArrayVarP(&cfg.Env, "env", "E", nil, "add `NAME=VALUE` to the environment (repeatable)")
			f.StringVarP(&cfg.Pidfile, "pidfile", "p", "", "write the daemon's PID to `FILE`, locked while it runs")
			f.StringVarP(&cfg.Lockfile, "lockfile", "l", "", "lock `FILE` instead of the pidfile, for a single instance")
			f.StringVarP(&cfg.User, "user", "u", "", "run as `USER`, with its groups, HOME, USER, LOGNAME (root only)")
			f.BoolVarP(&verbose, "verbose", "v", false, "say what is done, on standard error")
			f.Var(&umask, "umask", "the daemon's umask: `MODE` in octal")
			f.BoolVar(&cfg.NotifyAwait, "notify-await", false, "return only when COMMAND sends READY=1 to $NOTIFY_SOCKET")
			f.Var(&notifyTimeout, "notify-timeout", "give up waiting for READY=1 after `D`")
			f.BoolVar(&status, "status", false, "report on the daemon of --pidfile: exit 0 running, 1 dead, 3 not running")
			f.BoolVar(&stop, "stop", false, "stop the daemon of --pidfile and remove the pidfile")
			f.Var(&sig, "signal", "the signal `SIG` that --stop sends first")
			f.Var(&timeout, "timeout", "--stop: send SIGKILL after `D`")
		},
		OperandsOptional: func() bool { return status || stop },
		Run: func(argv []string) error {
			if err := checkModes(fs, argv, status, stop); err != nil {
				return err
			}
			switch {
			case status:
				r, err := daemonize.Status(cfg.Pidfile, cfg.Lockfile)
				if err != nil {
					return err
				}
				fmt.Println(r.Line(cfg.Pidfile))
				return cli.ExitStatus(r.State)
			case stop:
				r, err := daemonize.Stop(cfg.Pidfile, cfg.Lockfile, syscall.Signal(sig), time.Duration(timeout))
				if err != nil {
					return err
				}
				fmt.Println(stopLine(r))
				return nil
			}
			cfg.Argv, cfg.Umask, cfg.NotifyTimeout = argv, int(umask), time.Duration(notifyTimeout)
			if verbose {
				cfg.Log = log.New(os.Stderr, "gdaemonize: ", 0)
			}
			return daemonize.Start(cfg)
		},
		Stage: daemonize.Resume,
	}
}

// checkModes rejects option combinations that mean nothing.
func checkModes(fs *pflag.FlagSet, argv []string, status, stop bool) error {
	mode := ""
	switch {
	case status && stop:
		return cli.Usagef("--status and --stop cannot be used together")
	case status:
		mode = "--status"
	case stop:
		mode = "--stop"
	}
	if mode != "" {
		if len(argv) > 0 {
			return cli.Usagef("%s takes no COMMAND", mode)
		}
		if !fs.Changed("pidfile") {
			return cli.Usagef("%s needs --pidfile", mode)
		}
		for _, name := range []string{"append", "chdir", "stderr", "stdout", "env", "user", "umask", "notify-await", "notify-timeout"} {
			if fs.Changed(name) {
				return cli.Usagef("--%s cannot be used with %s", name, mode)
			}
		}
	} else {
		for _, name := range []string{"signal", "timeout"} {
			if fs.Changed(name) {
				return cli.Usagef("--%s goes with --stop", name)
			}
		}
	}
	if stop {
		return nil
	}
	if fs.Changed("notify-timeout") && !fs.Changed("notify-await") {
		return cli.Usagef("--notify-timeout goes with --notify-await")
	}
	return nil
}

// stopLine is the one line --stop prints.
func stopLine(r daemonize.Report) string {
	switch r.State {
	case daemonize.Running:
		return fmt.Sprintf("stopped (pid %d)", r.PID)
	case daemonize.Dead:
		return fmt.Sprintf("not running (removed the stale pidfile of pid %d)", r.PID)
	}
	return "not running"
}
