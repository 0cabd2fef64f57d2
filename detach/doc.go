// Package detach takes a command away from its terminal so that nothing the
// terminal does when it closes can reach it: the logic of gnohup.
//
// The redirections are those of GNU coreutils nohup (see Plan). Beyond
// nohup, the command runs outside the terminal's session, so neither the
// kernel's hangup nor the shell's SIGHUP to its jobs reaches it, whatever
// the command does with SIGHUP (node resets it to the default; gunicorn
// catches it to reload). Where this process can leave the session itself it
// does so and execs the command in place, keeping its PID; where it cannot
// (a process group leader, as every job of an interactive shell is) or
// should not (a foreground job, whose Ctrl-C must still work), it starts the
// command in a new session and stays behind as a relay (see session.Relay).
// Asked to fork (Options.Fork), it starts the command in a new session and
// returns as soon as the command runs, leaving nothing of itself behind.
package detach
