package daemonize

import (
	"fmt"
	"os"

	"github.com/gdetach/gdetach/account"
)

// lookupUser resolves spec (USER or USER:GROUP, names or numeric IDs) for
// -u. Only root may run the daemon as another user.
func lookupUser(spec string) (*account.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("only root can run COMMAND as another user (-u %s)", spec)
	}
	return account.Lookup(spec)
}
