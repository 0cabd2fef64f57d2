package fdio

func closeOnExecFrom(lowfd int) error {
	return closeOnExecListed("/dev/fd", lowfd)
}
