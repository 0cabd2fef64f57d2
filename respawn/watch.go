package respawn

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// DefaultWatchPoll is how often a watch polls where there is no inotify
// (darwin, freebsd) and WatchPoll is 0.
const DefaultWatchPoll = time.Second

// WatchAdvice names, in the caller's words, the ways around a kernel limit
// on inotify that need no change to the system, for the message said when
// the limit stops a watch. Each is a phrase that follows "raise it (sysctl
// …),". Empty, the messages say what to do without naming an option.
type WatchAdvice struct {
	Ignore string // leave directories out: "leave directories out with --watch-ignore"
	Poll   string // poll instead: "poll with --watch-poll"
}

func (a WatchAdvice) ignore() string {
	if a.Ignore == "" {
		return "leave directories out of the watch"
	}
	return a.Ignore
}

func (a WatchAdvice) poll() string {
	if a.Poll == "" {
		return "poll instead"
	}
	return a.Poll
}

// A WatchLimitError is a watch stopped by a kernel limit on inotify: the
// watches of a user (ENOSPC from inotify_add_watch) or its instances
// (EMFILE from inotify_init1). Its message names the limit, its value and
// the ways around it.
type WatchLimitError struct {
	Path   string // the directory that could not be watched; "" for an instance
	Sysctl string // the limit: fs.inotify.max_user_watches, or user.max_inotify_watches when a user namespace's is the lower; the same for instances
	Limit  int64  // its value, or -1 if it cannot be read
	Err    error  // ENOSPC or EMFILE, wrapped as the call returned it
	Advice WatchAdvice
}

func (e *WatchLimitError) Error() string {
	var b strings.Builder
	if e.Path != "" {
		fmt.Fprintf(&b, "%s: the kernel's limit of inotify watches is reached", e.Path)
	} else {
		b.WriteString("inotify_init1: the kernel's limit of inotify instances is reached")
	}
	if e.Limit < 0 {
		fmt.Fprintf(&b, " (%s): raise it, ", e.Sysctl)
	} else {
		// For watches, the value usually advised, or twice a limit that
		// high already; for instances, twice the limit, 1024 at least.
		raise := max(2*e.Limit, 524288)
		if e.Path == "" {
			raise = max(2*e.Limit, 1024)
		}
		fmt.Fprintf(&b, " (%s = %d): raise it (sysctl %s=%d), ", e.Sysctl, e.Limit, e.Sysctl, raise)
	}
	if e.Path != "" {
		b.WriteString(e.Advice.ignore() + ", ")
	}
	b.WriteString("or " + e.Advice.poll())
	return b.String()
}

func (e *WatchLimitError) Unwrap() error { return e.Err }

// watchConfig is what a watch is asked for.
type watchConfig struct {
	paths  []string      // files, or directories and everything below
	ignore []string      // WatchIgnore: patterns, after DefaultWatchIgnore
	own    []string      // the supervisor's own files: never a change
	poll   time.Duration // > 0: poll every poll; 0: inotify, or DefaultWatchPoll without it
	advice WatchAdvice
}

// A watcher reports changes under a set of paths, through inotify
// (watch_linux.go) or by polling (watch_poll.go). The supervision learns
// of changes on changes(), then asks take() which path changed first; of
// trouble that does not end the watch (a directory that cannot be watched
// for a kernel limit) on troubles().
type watcher struct {
	rules   *watchRules
	changed chan struct{} // one pending change is enough
	trouble chan error

	mu      sync.Mutex
	reports int    // changes since the last take
	first   string // the path of the first, absolute ("" if unknown)
	more    bool   // others changed too

	in   *inotify // the inotify state, when not polling
	poll *poller  // the poller's, when polling
	done chan struct{}
	once sync.Once
}

// startWatch starts watching; it returns nil when there is nothing to
// watch. Every path must exist.
func startWatch(cfg watchConfig) (*watcher, error) {
	if len(cfg.paths) == 0 {
		return nil, nil
	}
	if cfg.poll < 0 {
		return nil, errors.New("a polling interval cannot be negative")
	}
	rules, err := newWatchRules(cfg.paths, cfg.ignore, cfg.own)
	if err != nil {
		return nil, err
	}
	for _, root := range rules.roots {
		fi, err := os.Stat(root)
		if err != nil {
			return nil, err
		}
		if fi.IsDir() {
			rules.dirs = append(rules.dirs, root)
		}
	}
	w := &watcher{rules: rules, changed: make(chan struct{}, 1), trouble: make(chan error, 1), done: make(chan struct{})}
	every := cfg.poll
	if every == 0 && !haveInotify {
		every = DefaultWatchPoll
	}
	if every > 0 {
		err = w.startPoll(every)
	} else {
		err = w.startInotify(cfg.advice)
	}
	if err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

// report takes in a change to path (absolute; "" if unknown).
func (w *watcher) report(path string) {
	w.mu.Lock()
	if w.reports == 0 {
		w.first = path
	} else if path != w.first {
		w.more = true
	}
	w.reports++
	w.mu.Unlock()
	select {
	case w.changed <- struct{}{}:
	default: // one pending change is enough
	}
}

// take says which path changed first since the last take, as the user
// named it, with " and others" when others did too; "" if none, or if it
// is not known (inotify lost events).
func (w *watcher) take() string {
	if w == nil {
		return ""
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	first, more := w.first, w.more
	w.reports, w.first, w.more = 0, "", false
	switch {
	case first == "":
		return ""
	case more:
		return w.rules.spell(first) + " and others"
	}
	return w.rules.spell(first)
}

// warn passes on trouble that does not end the watch; one waiting is
// enough (the watch says each kind of trouble once).
func (w *watcher) warn(err error) {
	select {
	case w.trouble <- err:
	default:
	}
}

// changes delivers a value after changes; nil (never) without a watch.
func (w *watcher) changes() <-chan struct{} {
	if w == nil {
		return nil
	}
	return w.changed
}

// troubles delivers what goes wrong while watching; nil without a watch.
func (w *watcher) troubles() <-chan error {
	if w == nil {
		return nil
	}
	return w.trouble
}

// close ends the watch; it may be called more than once.
func (w *watcher) close() {
	if w == nil {
		return
	}
	w.once.Do(func() {
		close(w.done)
		w.closeInotify()
	})
}
