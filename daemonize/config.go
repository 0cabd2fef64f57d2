package daemonize

import (
	"fmt"
	"log"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultUmask is the daemon's umask unless Config.Umask says otherwise:
// files it creates are not writable by group and others.
const DefaultUmask = 0o022

// DefaultNotifyTimeout is how long Start waits for READY=1 with NotifyAwait,
// as systemd's default TimeoutStartSec.
const DefaultNotifyTimeout = 90 * time.Second

// A Config says what daemon to make: daemonize(1)'s options and a few more.
type Config struct {
	// Argv is the command and its arguments; the command is looked up in
	// PATH (daemonize(1) wants an absolute path).
	Argv []string

	// Dir is the daemon's working directory; empty means "/". A relative
	// path is taken from the caller's working directory.
	Dir string

	// Umask is the daemon's file mode creation mask (DefaultUmask: 022).
	// Output files are created with mode 0666 less Umask.
	Umask int

	// Stdout and Stderr are files for the daemon's standard output and error;
	// empty means /dev/null. They are truncated unless Append is set.
	// Standard input is always /dev/null.
	Stdout, Stderr string
	Append         bool

	// Env holds NAME=VALUE settings added to (or replacing in) the caller's
	// environment, which the daemon otherwise inherits.
	Env []string

	// Files are the pidfile and the lock file. A lock file of its own is
	// created mode 0600: no other user can open it, let alone lock it.
	Files

	// EnvFile, if set, is an environment file (see package envfile) whose
	// settings come after the caller's environment and before Env.
	EnvFile string

	// User runs the daemon as that user, with its groups, HOME, USER and
	// LOGNAME. Only root may set it.
	User string

	// NotifyAwait makes Start wait until the daemon sends READY=1 on
	// NOTIFY_SOCKET (the sd_notify protocol), for at most NotifyTimeout
	// (which EXTEND_TIMEOUT_USEC= may extend); zero means
	// DefaultNotifyTimeout.
	NotifyAwait   bool
	NotifyTimeout time.Duration

	// Log receives the progress lines of -v; nil discards them.
	Log *log.Logger
}

// validate checks what can be checked without touching the system.
func (c *Config) validate() error {
	for _, kv := range c.Env {
		if err := checkEnv(kv); err != nil {
			return err
		}
	}
	if c.Umask < 0 || c.Umask > 0o777 {
		return fmt.Errorf("invalid umask %#o", c.Umask)
	}
	if c.NotifyTimeout < 0 {
		return fmt.Errorf("invalid notify timeout %v", c.NotifyTimeout)
	}
	return nil
}

// checkEnv checks one setting of Config.Env: NAME=VALUE, where NAME ends at
// the first '=' and is not empty, and VALUE may be empty. NUL, which ends a
// C string, can be in neither.
func checkEnv(kv string) error {
	if name, _, ok := strings.Cut(kv, "="); !ok || name == "" {
		return fmt.Errorf("invalid environment setting '%s': want NAME=VALUE", quote(kv))
	}
	if strings.IndexByte(kv, 0) >= 0 {
		return fmt.Errorf("invalid environment setting '%s': an environment cannot hold a NUL", quote(kv))
	}
	return nil
}

// quote returns s as an error message shows it: as it is when all of it is
// printable, else with Go's escapes (\x00, \n), so that the message stays
// one line that shows every character.
func quote(s string) string {
	if utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return !strconv.IsPrint(r) }) {
		return s
	}
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

func (c *Config) logf(format string, args ...any) {
	if c.Log != nil {
		c.Log.Printf(format, args...)
	}
}
