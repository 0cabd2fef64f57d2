package daemonize

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
)

// credential is who the daemon runs as, with the environment that goes with it.
type credential struct {
	UID, GID uint32
	Groups   []uint32
	Env      []string // HOME, USER and LOGNAME
}

// lookupUser resolves name (a user name or numeric ID) for -u. Only root may
// run the daemon as another user.
func lookupUser(name string) (*credential, error) {
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("only root can run COMMAND as another user (-u %s)", name)
	}
	u, err := user.Lookup(name)
	var unknownName user.UnknownUserError
	var unknownID user.UnknownUserIdError
	if err != nil && name != "" && strings.Trim(name, "0123456789") == "" { // not "+5", which os/user would take
		// A uid_t, checked first: the C library's lookup would truncate
		// 4294967296 to 0, root.
		n, perr := strconv.ParseUint(name, 10, 32)
		if perr != nil || n == 1<<32-1 { // (uid_t)-1 means "unchanged" to setuid(2)
			return nil, fmt.Errorf("invalid user ID '%s'", name)
		}
		if u, err = user.LookupId(name); errors.As(err, &unknownID) {
			// An ID that no account has (or one the pure-Go lookup, which
			// reads /etc/passwd only, cannot see) is used as it is, as
			// systemd does for a numeric User=, with the same number as group.
			return &credential{UID: uint32(n), GID: uint32(n), Groups: []uint32{},
				Env: []string{"HOME=/", "USER=" + name, "LOGNAME=" + name}}, nil
		}
	}
	switch {
	case errors.As(err, &unknownName), errors.As(err, &unknownID):
		return nil, fmt.Errorf("unknown user '%s'", name)
	case err != nil:
		return nil, fmt.Errorf("look up user '%s': %w", name, err)
	}
	cred := &credential{Env: []string{"HOME=" + u.HomeDir, "USER=" + u.Username, "LOGNAME=" + u.Username}}
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
	for _, g := range groups {
		gid, err := id(g)
		if err != nil {
			return nil, fmt.Errorf("user '%s': group %q: %w", name, g, err)
		}
		cred.Groups = append(cred.Groups, gid)
	}
	return cred, nil
}
