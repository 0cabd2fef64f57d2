//go:build !linux

package respawn

import (
	"errors"
	"fmt"
)

// There is no inotify: a watch polls (DefaultWatchPoll).
const haveInotify = false

type inotify struct{}

func (w *watcher) startInotify(WatchAdvice) error {
	return fmt.Errorf("inotify is Linux-only: %w", errors.ErrUnsupported)
}

func (w *watcher) closeInotify() {}
