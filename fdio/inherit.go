package fdio

// CloseOnExecFrom marks every descriptor numbered lowfd or above
// close-on-exec, except those listed in keep, whose close-on-exec flag it
// clears. A program exec'd afterwards starts with descriptors below lowfd and
// those in keep only, whatever this process inherited.
//
// It marks descriptors rather than closing them, because the Go runtime owns
// some of them until the exec (its poller, for one).
func CloseOnExecFrom(lowfd int, keep ...int) error {
	if err := closeOnExecFrom(lowfd); err != nil {
		return err
	}
	for _, fd := range keep {
		if err := setCloseOnExec(fd, false); err != nil {
			return err
		}
	}
	return nil
}
