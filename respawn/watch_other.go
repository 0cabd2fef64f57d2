//go:build !linux

package respawn

import (
	"errors"
	"fmt"
)

// A watcher is not available without inotify.
type watcher struct{}

func startWatch(paths, ignore []string) (*watcher, error) {
	if len(paths) > 0 {
		return nil, fmt.Errorf("--watch needs inotify, which only Linux has: %w", errors.ErrUnsupported)
	}
	return nil, nil
}

func (w *watcher) changes() <-chan struct{} { return nil }
func (w *watcher) close()                   {}
