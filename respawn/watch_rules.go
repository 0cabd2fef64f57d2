package respawn

import (
	"errors"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// DefaultWatchIgnore is what a watch always leaves out, besides the
// supervisor's own files: the version control systems' directories, which
// change under every commit, checkout and fetch. A watched path named
// there (Watch: .git/HEAD) is watched all the same: ignore patterns apply
// below the watched paths, never to them.
var DefaultWatchIgnore = []string{".git", ".hg", ".svn"}

// CheckWatchIgnore reports whether glob is a pattern WatchIgnore can take:
// path.Match's syntax, not empty, and without "**", which path.Match reads
// as "*" (a pattern without a slash already matches at any depth).
func CheckWatchIgnore(glob string) error {
	_, err := parseIgnore(glob)
	return err
}

// An ignore is one pattern of WatchIgnore, parsed.
type ignore struct {
	glob    string // without the trailing slash
	dirOnly bool   // it ended with a slash: it matches directories only
	kind    ignoreKind
}

type ignoreKind int

const (
	nameGlob ignoreKind = iota // no slash: one name, at any depth below a watched directory
	relGlob                    // a slash inside: the path relative to the watched directory
	absGlob                    // a leading slash: the absolute path
)

func parseIgnore(glob string) (ignore, error) {
	g := strings.TrimPrefix(glob, "./")
	ig := ignore{}
	if len(g) > 1 && strings.HasSuffix(g, "/") {
		g, ig.dirOnly = strings.TrimSuffix(g, "/"), true
	}
	switch {
	case g == "" || g == "/":
		return ig, errors.New("an empty pattern matches nothing")
	case strings.Contains(g, "**"):
		return ig, errors.New("** is not supported: a pattern without a slash matches a name at any depth")
	case strings.HasPrefix(g, "/"):
		ig.kind = absGlob
	case strings.Contains(g, "/"):
		ig.kind = relGlob
	}
	if _, err := path.Match(g, ""); err != nil {
		return ig, err // path.ErrBadPattern: path.Match checks all of the pattern
	}
	ig.glob = g
	return ig, nil
}

// watchRules decide what a watch leaves out: what the ignore patterns
// match below a watched directory, and the supervisor's own files.
type watchRules struct {
	roots   []string // the watched paths, absolute and clean
	spelled []string // the same as they were given, for messages
	dirs    []string // the watched directories among them
	ignores []ignore
	own     []string // the supervisor's own files, absolute
}

// newWatchRules makes the rules for watching paths (made absolute), with
// patterns after the defaults, leaving out the files in own and their
// rotations.
func newWatchRules(paths, patterns, own []string) (*watchRules, error) {
	r := &watchRules{}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, err
		}
		r.roots, r.spelled = append(r.roots, abs), append(r.spelled, p)
	}
	for _, g := range slices.Concat(DefaultWatchIgnore, patterns) {
		ig, err := parseIgnore(g)
		if err != nil {
			return nil, &ignoreError{glob: g, err: err}
		}
		r.ignores = append(r.ignores, ig)
	}
	for _, p := range own {
		if abs, err := filepath.Abs(p); err == nil {
			r.own = append(r.own, abs)
		}
	}
	return r, nil
}

// An ignoreError is a pattern of WatchIgnore that is not one.
type ignoreError struct {
	glob string
	err  error
}

func (e *ignoreError) Error() string { return "ignore pattern '" + e.glob + "': " + e.err.Error() }
func (e *ignoreError) Unwrap() error { return e.err }

// skip reports whether a walk of the watched directory root leaves out the
// entry rel below it (slash-separated), its parents being in: its name or
// its path matches a pattern, or it is one of the supervisor's own files.
func (r *watchRules) skip(root, rel string, isDir bool) bool {
	name := path.Base(rel)
	for _, ig := range r.ignores {
		if ig.dirOnly && !isDir {
			continue
		}
		var matched bool
		switch ig.kind {
		case nameGlob:
			matched, _ = path.Match(ig.glob, name)
		case relGlob:
			matched, _ = path.Match(ig.glob, rel)
		case absGlob:
			matched, _ = path.Match(ig.glob, path.Join(root, rel))
		}
		if matched {
			return true
		}
	}
	return !isDir && r.isOwn(path.Join(root, rel))
}

// ignored reports whether a change to abs (absolute and clean) does not
// count: it is one of the supervisor's own files, or every watched
// directory it is below leaves it out (itself, or a directory on the way).
// A watched path itself always counts, but for the supervisor's files.
func (r *watchRules) ignored(abs string, isDir bool) bool {
	if r.isOwn(abs) {
		return true
	}
	if slices.Contains(r.roots, abs) {
		return false
	}
	for _, root := range r.dirs {
		rel, ok := relBelow(root, abs)
		if !ok {
			continue
		}
		out := false
		for i := range len(rel) {
			if rel[i] == '/' && r.skip(root, rel[:i], true) {
				out = true
				break
			}
		}
		if !out && !r.skip(root, rel, isDir) {
			return false
		}
	}
	return true
}

// relBelow is path relative to dir, if it is below it.
func relBelow(dir, path string) (string, bool) {
	if dir == "/" {
		return path[1:], len(path) > 1
	}
	rel, ok := strings.CutPrefix(path, dir+"/")
	return rel, ok && rel != ""
}

// isOwn reports whether path is one of the supervisor's own files: the log
// and its rotations (FILE.1 …, and logrotate's dateext FILE-20261130 and
// FILE-2026113001.backup), the status file and its temporary copies
// (.FILE.* beside it, as fdio.WriteFileAtomic makes them).
func (r *watchRules) isOwn(path string) bool {
	return slices.ContainsFunc(r.own, func(own string) bool {
		dir, base := filepath.Split(own)
		return path == own || strings.HasPrefix(path, own+".") || strings.HasPrefix(path, own+"-") || strings.HasPrefix(path, dir+"."+base+".")
	})
}

// spell writes abs as the user named it: below the watched path that holds
// it, as that path was given.
func (r *watchRules) spell(abs string) string {
	for i, root := range r.roots {
		if abs == root {
			return r.spelled[i]
		}
		if rel, ok := relBelow(root, abs); ok {
			return filepath.Join(r.spelled[i], rel)
		}
	}
	return abs
}
