// Command gdaemonize turns a command into a Unix daemon, a drop-in for
// daemonize(1) that never lies to its caller, and reports on or stops that
// daemon by its pidfile, for init scripts.
//
// Usage:
//
//	gdaemonize [OPTION]... [--] COMMAND [ARG]...
//	gdaemonize --status --pidfile FILE
//	gdaemonize --stop --pidfile FILE [--signal SIG] [--timeout D]
//	gdaemonize --signal SIG --pidfile FILE
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
	var dir, stderr, stdout, pidfile, lockfile, user, envFile cli.NonEmpty
	timeout := cli.Duration(10 * time.Second)
	notifyTimeout := cli.Duration(daemonize.DefaultNotifyTimeout)
	var fs *pflag.FlagSet
	return cli.Program{
		Name: "gdaemonize",
		Synopsis: "[OPTION]... [--] COMMAND [ARG]...\n" +
			"  or:  gdaemonize --status --pidfile FILE [--lockfile FILE]\n" +
			"  or:  gdaemonize --stop --pidfile FILE [--lockfile FILE] [--signal SIG] [--timeout D]\n" +
			"  or:  gdaemonize --signal SIG --pidfile FILE [--lockfile FILE]",
		Summary: "Run COMMAND as a daemon; return once it runs. Report on, stop or signal it by its pidfile.",
		Flags: func(f *pflag.FlagSet) {
			fs = f
			f.BoolVarP(&cfg.Append, "append", "a", false, "append to the output files instead of truncating them")
			f.VarP(&dir, "chdir", "c", "run in `DIR` (default /)")
			f.VarP(&stderr, "stderr", "e", "send standard error to `FILE` (default /dev/null)")
			f.VarP(&stdout, "stdout", "o", "send standard output to `FILE` (default /dev/null)")
			f.StringArrayVarP(&cfg.Env, "env", "E", nil, "add `NAME=VALUE` to the environment (repeatable)")
			f.Var(&envFile, "env-file", "add the KEY=VALUE lines of `FILE` to the environment, before -E")
			f.VarP(&pidfile, "pidfile", "p", "write the daemon's PID to `FILE`, locked while it runs")
			f.VarP(&lockfile, "lockfile", "l", "lock `FILE` (created mode 0600) instead of the pidfile")
			f.VarP(&user, "user", "u", "run as `USER` (or USER:GROUP), with its groups, HOME, USER, LOGNAME (root only)")
			f.BoolVarP(&verbose, "verbose", "v", false, "say what is done, on standard error")
			f.Var(&umask, "umask", "the daemon's umask: `MODE` in octal")
			f.BoolVar(&cfg.NotifyAwait, "notify-await", false, "return only when COMMAND sends READY=1 to $NOTIFY_SOCKET")
			f.Var(&notifyTimeout, "notify-timeout", "give up waiting for READY=1 after `D`")
			f.BoolVar(&status, "status", false, "report on the daemon of --pidfile: exit 0 running, 1 dead, 3 not running, 4 unknown")
			f.BoolVar(&stop, "stop", false, "stop the daemon of --pidfile and remove the pidfile")
			f.Var(&sig, "signal", "with --stop, the signal `SIG` sent first; alone, send SIG (a reload)")
			f.Var(&timeout, "timeout", "--stop: send SIGKILL after `D`")
		},
		OperandsOptional: func() bool { return status || stop || fs.Changed("signal") },
		Run: func(argv []string) error {
			if err := checkModes(fs, argv, status, stop, time.Duration(notifyTimeout)); err != nil {
				return err
			}
			files := daemonize.Files{Pidfile: string(pidfile), Lockfile: string(lockfile)}
			switch {
			case status:
				r := daemonize.Status(files)
				fmt.Println(r.Line(files))
				return cli.ExitStatus(r.State)
			case stop:
				r, err := daemonize.Stop(files, syscall.Signal(sig), time.Duration(timeout))
				if err != nil {
					return err
				}
				fmt.Println(stopLine(r))
				return nil
			case fs.Changed("signal"):
				_, err := daemonize.Signal(files, syscall.Signal(sig))
				return err
			}
			cfg.Argv, cfg.Umask, cfg.NotifyTimeout = argv, int(umask), time.Duration(notifyTimeout)
			cfg.Dir, cfg.Stderr, cfg.Stdout, cfg.User, cfg.EnvFile = string(dir), string(stderr), string(stdout), string(user), string(envFile)
			cfg.Files = files
			if verbose {
				cfg.Log = log.New(os.Stderr, "gdaemonize: ", 0)
			}
			return daemonize.Start(cfg)
		},
		Stage: daemonize.Resume,
	}
}

// modeOptions are the options that only starting a daemon takes.
var modeOptions = []string{"append", "chdir", "stderr", "stdout", "env", "env-file", "user", "umask", "notify-await", "notify-timeout", "verbose"}

// checkModes rejects option combinations that mean nothing.
func checkModes(fs *pflag.FlagSet, argv []string, status, stop bool, notifyTimeout time.Duration) error {
	mode := ""
	switch {
	case status && stop:
		return cli.Usagef("--status and --stop cannot be used together")
	case status:
		mode = "--status"
	case stop:
		mode = "--stop"
	case fs.Changed("signal") && len(argv) == 0:
		mode = "--signal"
	}
	if mode != "" {
		if len(argv) > 0 {
			return cli.Usagef("%s takes no COMMAND", mode)
		}
		if !fs.Changed("pidfile") {
			return cli.Usagef("%s needs --pidfile", mode)
		}
		for _, name := range modeOptions {
			if fs.Changed(name) {
				return cli.Usagef("--%s cannot be used with %s", name, mode)
			}
		}
	}
	switch {
	case status && fs.Changed("signal"):
		return cli.Usagef("--signal cannot be used with --status")
	case mode != "--stop" && fs.Changed("timeout"):
		return cli.Usagef("--timeout goes with --stop")
	case mode == "" && fs.Changed("signal"):
		return cli.Usagef("--signal goes with --stop, or alone with --pidfile (a reload); not with a COMMAND")
	case fs.Changed("notify-timeout") && !fs.Changed("notify-await"):
		return cli.Usagef("--notify-timeout goes with --notify-await")
	case fs.Changed("notify-timeout") && notifyTimeout <= 0:
		return cli.Usagef("invalid argument '%v' for '--notify-timeout': it must be more than 0", notifyTimeout)
	}
	return nil
}

// stopLine is the one line --stop prints.
func stopLine(r daemonize.Report) string {
	switch r.State {
	case daemonize.Running, daemonize.Unknown:
		return "stopped (" + r.Who() + ")"
	case daemonize.Dead:
		return fmt.Sprintf("not running (removed the stale pidfile of pid %d)", r.PID)
	}
	return "not running"
}
