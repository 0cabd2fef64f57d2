// Package account resolves the user a command is to run as, USER or
// USER:GROUP, by name or numeric ID, into the IDs and the environment that go
// with it. gdaemonize -u and grespawn --user both read it, so the two take
// the same spellings and give the same answers.
//
// Names are looked up through os/user: in a build without cgo (the
// commands' own), in /etc/passwd and /etc/group only.
package account

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// A Credential is who a command runs as, with the environment that goes
// with it.
type Credential struct {
	Name     string   // the user's name, or the number given for an ID that no account has
	UID, GID uint32   // GID is the user's primary group, or the GROUP asked for
	Groups   []uint32 // the supplementary groups: the user's, whatever GID is; none for an ID with no account
	Env      []string // HOME, USER and LOGNAME
}

// Syscall is c as SysProcAttr.Credential takes it: setgroups(Groups),
// setgid(GID), setuid(UID) in the child before it executes the program.
func (c *Credential) Syscall() *syscall.Credential {
	return &syscall.Credential{Uid: c.UID, Gid: c.GID, Groups: c.Groups}
}

// IsCurrent reports whether c is this process's own effective user and
// group, which a process may run a command as without root.
func (c *Credential) IsCurrent() bool {
	return int64(c.UID) == int64(os.Geteuid()) && int64(c.GID) == int64(os.Getegid())
}

// Lookup resolves spec, USER or USER:GROUP, each a name or a numeric ID.
//
// A numeric USER that no account has (or that a lookup reading /etc/passwd
// only cannot see) is used as it is, as systemd does for a numeric User=:
// the same number as group, no supplementary groups, HOME=/. A numeric
// GROUP that no group has is used as it is too. GROUP replaces the user's
// primary group only: the supplementary groups stay the user's. An ID of
// 4294967295 or more is refused: (uid_t)-1 means "unchanged" to setuid(2),
// and a C library would truncate a larger one (4294967296 to 0, root).
func Lookup(spec string) (*Credential, error) {
	name, group, withGroup := strings.Cut(spec, ":")
	if name == "" || (withGroup && group == "") {
		return nil, fmt.Errorf("invalid user '%s': want USER or USER:GROUP", spec)
	}
	cred, err := lookupUser(name)
	if err != nil {
		return nil, err
	}
	if withGroup {
		if cred.GID, err = lookupGroup(group); err != nil {
			return nil, err
		}
	}
	return cred, nil
}

// isNumber reports whether s is digits only: not "+5" or " 5", which the
// C library's parsing would take.
func isNumber(s string) bool { return s != "" && strings.Trim(s, "0123456789") == "" }

// parseID reads a numeric ID, refusing what no uid_t or gid_t can be.
func parseID(s string) (uint32, bool) {
	n, err := strconv.ParseUint(s, 10, 32)
	return uint32(n), err == nil && n != 1<<32-1
}

func lookupUser(name string) (*Credential, error) {
	u, err := user.Lookup(name)
	var unknownName user.UnknownUserError
	var unknownID user.UnknownUserIdError
	if err != nil && isNumber(name) {
		// Parsed first: the C library's lookup would truncate.
		n, ok := parseID(name)
		if !ok {
			return nil, fmt.Errorf("invalid user ID '%s'", name)
		}
		if u, err = user.LookupId(name); errors.As(err, &unknownID) {
			return &Credential{Name: name, UID: n, GID: n, Groups: []uint32{},
				Env: []string{"HOME=/", "USER=" + name, "LOGNAME=" + name}}, nil
		}
	}
	switch {
	case errors.As(err, &unknownName), errors.As(err, &unknownID):
		return nil, fmt.Errorf("unknown user '%s'", name)
	case err != nil:
		return nil, fmt.Errorf("look up user '%s': %w", name, err)
	}
	cred := &Credential{Name: u.Username, Env: []string{"HOME=" + u.HomeDir, "USER=" + u.Username, "LOGNAME=" + u.Username}}
	id := func(s string) (uint32, error) {
		n, err := strconv.ParseUint(s, 10, 32)
		return uint32(n), err
	}
	if cred.UID, err = id(u.Uid); err != nil {
		return nil, fmt.Errorf("user '%s': uid %q: %w", name, u.Uid, err)
	}
	if cred.GID, err = id(u.Gid); err != nil {
		return nil, fmt.Errorf("user '%s': gid %q: %w", name, u.Gid, err)
	}
	groups, err := u.GroupIds()
	if err != nil {
		return nil, fmt.Errorf("groups of user '%s': %w", name, err)
	}
	cred.Groups = []uint32{}
	for _, g := range groups {
		gid, err := id(g)
		if err != nil {
			return nil, fmt.Errorf("user '%s': group %q: %w", name, g, err)
		}
		cred.Groups = append(cred.Groups, gid)
	}
	return cred, nil
}

func lookupGroup(name string) (uint32, error) {
	g, err := user.LookupGroup(name)
	var unknownName user.UnknownGroupError
	var unknownID user.UnknownGroupIdError
	if err != nil && isNumber(name) {
		n, ok := parseID(name)
		if !ok {
			return 0, fmt.Errorf("invalid group ID '%s'", name)
		}
		if g, err = user.LookupGroupId(name); errors.As(err, &unknownID) {
			return n, nil // as a numeric user with no account: used as it is
		}
	}
	switch {
	case errors.As(err, &unknownName), errors.As(err, &unknownID):
		return 0, fmt.Errorf("unknown group '%s'", name)
	case err != nil:
		return 0, fmt.Errorf("look up group '%s': %w", name, err)
	}
	gid, err := strconv.ParseUint(g.Gid, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("group '%s': gid %q: %w", name, g.Gid, err)
	}
	return uint32(gid), nil
}

// Searchable checks that the user of c may reach directory dir, an absolute
// path: search permission on it and on every directory above it, judged by
// the mode bits (an ACL may grant more; the chdir itself has the last
// word). The error is an *os.PathError for chdir.
func (c *Credential) Searchable(dir string) error {
	if c.UID == 0 {
		return nil
	}
	for p := dir; ; p = filepath.Dir(p) {
		st, err := os.Stat(p)
		if err != nil {
			return err
		}
		sys := st.Sys().(*syscall.Stat_t)
		perm := st.Mode().Perm()
		var bit os.FileMode
		switch {
		case sys.Uid == c.UID:
			bit = 0o100
		case sys.Gid == c.GID || slices.Contains(c.Groups, sys.Gid):
			bit = 0o010
		default:
			bit = 0o001
		}
		if perm&bit == 0 {
			return &os.PathError{Op: "chdir", Path: dir, Err: syscall.EACCES}
		}
		if p == "/" || p == "." {
			return nil
		}
	}
}
