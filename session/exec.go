package session

import (
	"errors"
	"io/fs"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"
)

// shell runs files the kernel does not recognise as programs (ENOEXEC),
// as execvp(3) does.
const shell = "/bin/sh"

// Exec replaces this process with the program at path, given argv and env.
// Like execvp(3), it runs a file without a #! line through /bin/sh. It
// returns only on failure, with an *ExecError naming argv[0].
func Exec(path string, argv []string, env []string) error {
	err := unix.Exec(path, argv, env)
	if errors.Is(err, syscall.ENOEXEC) {
		err = unix.Exec(shell, scriptArgs(path, argv), env)
	}
	return &ExecError{Name: argv[0], Err: err}
}

// Start starts cmd as cmd.Start does and returns the started command. When
// the kernel does not recognise the file as a program (ENOEXEC), it starts
// /bin/sh on it instead, as execvp(3) would, and returns that new Cmd. A
// failure to execute the program is an *ExecError naming cmd.Args[0]; other
// failures are returned as they are.
func Start(cmd *exec.Cmd) (*exec.Cmd, error) {
	name := cmd.Args[0]
	err := cmd.Start()
	if errors.Is(err, syscall.ENOEXEC) {
		sh := &exec.Cmd{
			Path:        shell,
			Args:        scriptArgs(cmd.Path, cmd.Args),
			Env:         cmd.Env,
			Dir:         cmd.Dir,
			Stdin:       cmd.Stdin,
			Stdout:      cmd.Stdout,
			Stderr:      cmd.Stderr,
			ExtraFiles:  cmd.ExtraFiles,
			SysProcAttr: cmd.SysProcAttr,
		}
		cmd, err = sh, sh.Start()
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Op == "fork/exec" {
		return nil, &ExecError{Name: name, Err: pe.Err}
	}
	if err != nil {
		return nil, err
	}
	return cmd, nil
}

// scriptArgs is the argument list execvp(3) gives /bin/sh for a script
// without a #! line.
func scriptArgs(path string, argv []string) []string {
	return append([]string{shell, path}, argv[1:]...)
}
