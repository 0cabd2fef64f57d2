package daemonize

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
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
	if _, numeric := strconv.Atoi(name); err != nil && numeric == nil {
		u, err = user.LookupId(name)
	}
	var unknownName user.UnknownUserError
	var unknownID user.UnknownUserIdError
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
