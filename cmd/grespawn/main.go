// Command grespawn keeps a command running: it runs it again when it exits,
// with a restart policy and exponential backoff, forwards signals to it,
// reaps its orphans, and can keep its output in a rotated log.
//
// Usage:
//
//	grespawn [OPTION]... [--] COMMAND [ARG]...
//	grespawn --status FILE [--json]
//
// grespawn(1) in docs/ documents every option and exit status.
package main

import (
	"fmt"
	"log"
	"os"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/gdetach/gdetach/account"
	"github.com/gdetach/gdetach/cmd/internal/cli"
	"github.com/gdetach/gdetach/envfile"
	"github.com/gdetach/gdetach/respawn"
	"github.com/spf13/pflag"
)

func main() { cli.Main(program()) }

func program() cli.Program {
	sup := respawn.Supervisor{Logger: log.New(os.Stderr, "grespawn: ", 0)}
	delay, minUptime, maxDelay := cli.Duration(respawn.DefaultDelay), cli.Duration(respawn.DefaultMinUptime), cli.Duration(respawn.DefaultMaxDelay)
	window, stopTimeout, debounce := cli.Duration(10*time.Second), cli.Duration(respawn.DefaultStopTimeout), cli.Duration(500*time.Millisecond)
	logMax := cli.Size(respawn.DefaultLogMaxSize)
	successCodes := cli.ExitCodes{Codes: []int{0}}
	var poll cli.Interval
	var pdeathsig cli.Signal
	var logPath, stderrLogPath, stampLayout string
	var reopenSignal, stopSignal, restartSignal cli.Signal
	var statusMap cli.StatusMap
	zoneLoc := time.UTC
	zone := cli.NewChoice(&zoneLoc, "zone", []string{"utc", "local"}, []*time.Location{time.UTC, time.Local})
	maxRuns, maxFailures, logBackups := cli.Count(0), cli.Count(0), cli.Count(respawn.DefaultLogBackups)
	restart := cli.NewChoice(&sup.Policy.Restart, "when", []string{"always", "on-failure", "never"},
		[]respawn.When{respawn.Always, respawn.OnFailure, respawn.Never})
	var statusPath cli.NonEmpty
	var statusJSON bool
	var runUser, envFile cli.NonEmpty // issue 16: runAs
	hookTimeout := cli.Duration(respawn.DefaultHookTimeout)
	var fs *pflag.FlagSet
	return cli.Program{
		Name: "grespawn",
		Synopsis: "[OPTION]... [--] COMMAND [ARG]...\n" +
			"  or:  grespawn --status FILE [--json]",
		Summary: "Run COMMAND, and run it again when it exits, until a limit or a stop;\nor report on such a supervision by its --status-file.",
		Details: `SIGTERM or SIGINT to grespawn stops COMMAND (SIGKILL after --stop-timeout)
and ends grespawn with COMMAND's status; every other signal is passed on.`,
		Flags: func(f *pflag.FlagSet) {
			fs = f
			f.VarP(&maxRuns, "max", "m", "run COMMAND at most `N` times in all, then exit (0: no limit)")
			f.Var(restart, "restart", "when to restart: `WHEN` is always, on-failure or never")
			f.Var(&successCodes, "success-codes", "`CODES` that count as success for on-failure, such as 0,2 (default 0)")
			f.Var(&delay, "delay", "wait `D` before the first restart of a failure streak")
			f.Var(&minUptime, "min-uptime", "a run shorter than `D` is a failure that doubles the delay")
			f.Var(&maxDelay, "max-delay", "cap the delay at `D`")
			f.Var(&maxFailures, "max-failures", "give up after `N` short runs within --window (0: never)")
			f.Var(&window, "window", "count --max-failures over the last `D`")
			f.Var(&stopTimeout, "stop-timeout", "after SIGTERM or SIGINT, wait `D` before SIGKILL (0: at once)")
			f.Var(&stopSignal, "stop-signal", "send COMMAND `SIG` to stop it, and stop on SIG too (default: the signal received; TERM to restart)")
			f.Var(&restartSignal, "restart-signal", "on `SIG`, stop COMMAND and start it again at once (not passed on)")
			f.Var(&statusMap, "map-status", "exit with TO when COMMAND's last status is FROM, as `FROM=TO` says (repeatable)")
			f.BoolVar(&sup.SignalGroup, "signal-group", false, "forward signals to COMMAND's whole process group")
			f.Var((*cli.NonEmpty)(&sup.Pidfile), "pidfile", "COMMAND daemonizes: supervise the process named in `FILE`")
			f.Var((*cli.NonEmpty)(&sup.StatusFile), "status-file", "keep `FILE` up to date with pid, runs, last status, start time, backoff")
			f.Var(&statusPath, "status", "report on the supervision of status `FILE`: exit 0 running, 1 dead, 3 not running, 4 unknown")
			f.BoolVar(&statusJSON, "json", false, "with --status, print one JSON object instead of a line")
			f.VarP((*cli.NonEmpty)(&logPath), "log", "l", "append COMMAND's standard output and error to `FILE` (-: to standard output)")
			f.Var((*cli.NonEmpty)(&stderrLogPath), "stderr-log", "append COMMAND's standard error to `FILE` instead")
			f.Var(&logMax, "log-max-size", "rotate the log before it grows past `SIZE` (0: never)")
			f.Var(&logBackups, "log-backups", "keep `N` rotated logs, FILE.1 … FILE.N")
			f.Var(zone, "log-timestamps", "prefix every log line with the time it was read, in `ZONE` utc (the default) or local")
			f.Lookup("log-timestamps").NoOptDefVal = "utc"
			f.Var((*cli.NonEmpty)(&stampLayout), "log-timestamp-format", "write the time as strftime `LAYOUT` says, such as '%b %d %H:%M:%.S'")
			f.BoolVar(&sup.LogEvents, "log-events", false, "write grespawn's own messages into the log too")
			f.Var(&reopenSignal, "log-reopen-signal", "reopen the log on `SIG` (not passed on), as after logrotate")
			f.StringArrayVar(&sup.Watch, "watch", nil, "restart COMMAND when files under `PATH` change (repeatable)")
			f.StringArrayVar(&sup.WatchIgnore, "watch-ignore", nil, "leave out of the watch what `GLOB` matches: a name, or a path below PATH (repeatable)")
			f.Var(&poll, "watch-poll", "look for changes every `D` instead of through inotify (bind mounts, NFS)")
			f.Var(&debounce, "watch-debounce", "restart once no change has come for `D`")
			f.Var(&pdeathsig, "pdeathsig", "send COMMAND `SIG` if grespawn dies (Linux)")
			// Issue 16: the user, the directory and the environment of COMMAND.
			f.VarP(&runUser, "user", "u", "run COMMAND as `USER` (or USER:GROUP), with its groups, HOME, USER, LOGNAME; another user needs root")
			f.VarP((*cli.NonEmpty)(&sup.Dir), "chdir", "c", "run COMMAND in `DIR`")
			f.Var(&envFile, "env-file", "add the KEY=VALUE lines of `FILE`, read once, to COMMAND's environment")
			f.Var((*cli.NonEmpty)(&sup.OnExit), "on-exit", "after each run, run the shell command line `CMD`, told how the run ended in GRESPAWN_* variables")
			f.Var(&hookTimeout, "on-exit-timeout", "stop an --on-exit hook that still runs after `D` (SIGTERM, then SIGKILL)")
		},
		OperandsOptional: func() bool { return fs.Changed("status") || fs.Changed("json") },
		Run: func(argv []string) error {
			if fs.Changed("status") || fs.Changed("json") {
				if err := checkStatusMode(fs, argv); err != nil {
					return err
				}
				return queryStatus(string(statusPath), statusJSON, os.Stdout)
			}
			if err := checkOptions(fs, time.Duration(window), sup.Watch, sup.WatchIgnore); err != nil {
				return err
			}
			sup.Argv = argv
			sup.Policy.MaxRuns, sup.Policy.MaxFailures = int(maxRuns), int(maxFailures)
			sup.Policy.SuccessCodes = successCodes.Codes
			sup.Backoff = respawn.Backoff{Delay: time.Duration(delay), MinUptime: time.Duration(minUptime), MaxDelay: time.Duration(maxDelay)}
			sup.Policy.Window = time.Duration(window)
			sup.StopTimeout = time.Duration(stopTimeout)
			sup.WatchDebounce = time.Duration(debounce)
			sup.WatchPoll = time.Duration(poll)
			sup.WatchAdvice = respawn.WatchAdvice{Ignore: "leave directories out with --watch-ignore", Poll: "poll with --watch-poll"}
			sup.Pdeathsig = syscall.Signal(pdeathsig)
			if err := checkHook(fs, time.Duration(hookTimeout)); err != nil {
				return err
			}
			sup.OnExitTimeout = time.Duration(hookTimeout)
			var stamps *respawn.Timestamps
			if fs.Changed("log-timestamps") || fs.Changed("log-timestamp-format") {
				if err := checkTZ(zoneLoc); err != nil {
					return err
				}
				var err error
				if stamps, err = respawn.NewTimestamps(stampLayout, zoneLoc); err != nil {
					return cli.Usagef("invalid argument '%s' for '--log-timestamp-format': %v", stampLayout, err)
				}
			}
			for _, l := range []struct {
				path string
				cfg  **respawn.LogConfig
			}{{logPath, &sup.Log}, {stderrLogPath, &sup.StderrLog}} {
				if l.path != "" {
					*l.cfg = &respawn.LogConfig{Path: l.path, MaxSize: int64(logMax), Backups: int(logBackups), Timestamps: stamps}
				}
			}
			if fs.Changed("stop-signal") {
				if err := respawn.CheckStopSignal(syscall.Signal(stopSignal)); err != nil {
					return cli.Usagef("invalid argument '%s' for '--stop-signal': %v", stopSignal.String(), err)
				}
				sup.StopSignal = syscall.Signal(stopSignal)
			}
			if fs.Changed("restart-signal") {
				if err := respawn.CheckRestartSignal(syscall.Signal(restartSignal)); err != nil {
					return cli.Usagef("invalid argument '%s' for '--restart-signal': %v", restartSignal.String(), err)
				}
				sup.RestartSignal = syscall.Signal(restartSignal)
			}
			sup.StatusMap = statusMap
			if fs.Changed("log-reopen-signal") {
				if err := respawn.CheckReopenSignal(syscall.Signal(reopenSignal)); err != nil {
					return cli.Usagef("invalid argument '%s' for '--log-reopen-signal': %v", reopenSignal.String(), err)
				}
				sup.ReopenSignal = syscall.Signal(reopenSignal)
			}
			if err := runAs(&sup, string(runUser), string(envFile)); err != nil {
				return err
			}
			status, err := sup.Run()
			if err != nil {
				return err
			}
			return cli.ExitStatus(status)
		},
	}
}

// checkOptions rejects values that mean nothing.
func checkOptions(fs *pflag.FlagSet, window time.Duration, watch, ignore []string) error {
	for _, path := range watch {
		if path == "" {
			return cli.Usagef("invalid argument '' for '--watch': cannot be empty")
		}
	}
	for _, glob := range ignore {
		if glob == "" {
			return cli.Usagef("invalid argument '' for '--watch-ignore': cannot be empty")
		}
		if err := respawn.CheckWatchIgnore(glob); err != nil {
			return cli.Usagef("invalid argument '%s' for '--watch-ignore': %v", glob, err)
		}
	}
	logs := 0
	files := false // a log by name: rotated, reopened
	for _, name := range []string{"log", "stderr-log"} {
		if fs.Changed(name) {
			logs++
			files = files || respawn.StdStream(fs.Lookup(name).Value.String()) == 0
		}
	}
	for _, name := range []string{"log-max-size", "log-backups", "log-timestamps", "log-timestamp-format", "log-events", "log-reopen-signal"} {
		if fs.Changed(name) && logs == 0 {
			return cli.Usagef("--%s goes with --log or --stderr-log", name)
		}
	}
	for _, name := range []string{"log-max-size", "log-backups", "log-reopen-signal"} {
		if fs.Changed(name) && !files {
			return cli.Usagef("--%s has no meaning for a log on standard output or error: it is never rotated or reopened", name)
		}
	}

	if fs.Changed("window") && !fs.Changed("max-failures") {
		return cli.Usagef("--window goes with --max-failures")
	}
	if window == 0 {
		// A window of no length would count no run, or every run ever.
		return cli.Usagef("invalid argument '%v' for '--window': it must be more than 0", window)
	}
	for _, name := range []string{"watch-ignore", "watch-poll", "watch-debounce"} {
		if fs.Changed(name) && !fs.Changed("watch") {
			return cli.Usagef("--%s goes with --watch", name)
		}
	}
	return nil
}

// checkTZ refuses local time under a TZ that Go cannot read, rather than
// stamp UTC while the user reads it as local: Go reads zone names
// (Europe/Paris) and files, not POSIX rules (EST5EDT,M3.2.0,M11.1.0) as
// the C library does.
func checkTZ(loc *time.Location) error {
	tz := os.Getenv("TZ")
	if loc != time.Local || tz == "" {
		return nil
	}
	name := strings.TrimPrefix(tz, ":")
	if utcRule.MatchString(name) {
		return nil // UTC0, GMT0: a rule Go does not read, but its UTC is right
	}
	var err error
	if strings.HasPrefix(name, "/") {
		_, err = os.Stat(name)
	} else {
		_, err = time.LoadLocation(name)
	}
	if err != nil {
		return cli.Usagef("invalid TZ '%s' for '--log-timestamps=local': no such time zone (a name such as Europe/Paris, from the tzdata files; not a POSIX rule)", tz)
	}
	return nil
}

// utcRule matches the POSIX rules that mean UTC: UTC0, GMT, UTC+0 …
var utcRule = regexp.MustCompile(`^(UTC|GMT|Z|UCT)([+-]?0+(:0+){0,2})?$`)

// runAs sets the user COMMAND runs as (--user) and what its environment
// gets (--env-file, read once, here).
func runAs(sup *respawn.Supervisor, user, envFile string) error {
	if user != "" {
		cred, err := account.Lookup(user)
		if err != nil {
			return err
		}
		sup.Credential = cred
	}
	if envFile != "" {
		env, err := envfile.Read(envFile)
		if err != nil {
			return fmt.Errorf("environment file: %w", err)
		}
		sup.Env = env
	}
	return nil
}

// checkHook rejects an --on-exit-timeout without a hook, or of no length
// (a hook killed before it starts).
func checkHook(fs *pflag.FlagSet, timeout time.Duration) error {
	if fs.Changed("on-exit-timeout") && !fs.Changed("on-exit") {
		return cli.Usagef("--on-exit-timeout goes with --on-exit")
	}
	if timeout == 0 {
		return cli.Usagef("invalid argument '%v' for '--on-exit-timeout': it must be more than 0", timeout)
	}
	return nil
}
