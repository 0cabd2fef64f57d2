// Command grespawn keeps a command running: it runs it again when it exits,
// with a restart policy and exponential backoff, forwards signals to it,
// reaps its orphans, and can keep its output in a rotated log.
//
// Usage:
//
//	grespawn [OPTION]... [--] COMMAND [ARG]...
//
// grespawn(1) in docs/ documents every option and exit status.
package main

import (
	"log"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/gdetach/gdetach/cmd/internal/cli"
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
	var reopenSignal cli.Signal
	zoneLoc := time.UTC
	zone := cli.NewChoice(&zoneLoc, "zone", []string{"utc", "local"}, []*time.Location{time.UTC, time.Local})
	maxRuns, maxFailures, logBackups := cli.Count(0), cli.Count(0), cli.Count(respawn.DefaultLogBackups)
	restart := cli.NewChoice(&sup.Policy.Restart, "when", []string{"always", "on-failure", "never"},
		[]respawn.When{respawn.Always, respawn.OnFailure, respawn.Never})
	var fs *pflag.FlagSet
	return cli.Program{
		Name:     "grespawn",
		Synopsis: "[OPTION]... [--] COMMAND [ARG]...",
		Summary:  "Run COMMAND, and run it again when it exits, until a limit or a stop.",
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
			f.BoolVar(&sup.SignalGroup, "signal-group", false, "forward signals to COMMAND's whole process group")
			f.Var((*cli.NonEmpty)(&sup.Pidfile), "pidfile", "COMMAND daemonizes: supervise the process named in `FILE`")
			f.Var((*cli.NonEmpty)(&sup.StatusFile), "status-file", "keep `FILE` up to date with pid, runs, last status, start time, backoff")
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
		},
		Run: func(argv []string) error {
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
			if fs.Changed("log-reopen-signal") {
				if err := respawn.CheckReopenSignal(syscall.Signal(reopenSignal)); err != nil {
					return cli.Usagef("invalid argument '%s' for '--log-reopen-signal': %v", reopenSignal.String(), err)
				}
				sup.ReopenSignal = syscall.Signal(reopenSignal)
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
