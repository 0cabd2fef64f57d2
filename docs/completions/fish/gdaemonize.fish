# fish completion for gdaemonize(1), part of gdetach.
# Generated from gdaemonize's options by `make completions`: do not edit.

# __gdetach_gdaemonize_command prints COMMAND and its arguments, NUL-separated, once the
# line has them: what follows gdaemonize's options, as getopt finds it.
function __gdetach_gdaemonize_command
    set -l tokens (commandline -opc) (commandline -ct)
    set -e tokens[1]
    argparse -s a/append c/chdir= e/stderr= o/stdout= E/env=+ env-file= p/pidfile= l/lockfile= u/user= v/verbose umask= notify-await notify-timeout= status stop signal= timeout= h/help V/version -- $tokens 2>/dev/null
    or return 1
    set -q argv[1]
    or return 1
    string join0 -- $argv
end

function __gdetach_gdaemonize_command_complete
    __fish_complete_subcommand --commandline (__gdetach_gdaemonize_command | string split0)
end

complete -c gdaemonize -f
complete -c gdaemonize -x -n '__gdetach_gdaemonize_command >/dev/null' -a '(__gdetach_gdaemonize_command_complete)'
complete -c gdaemonize -n 'not __gdetach_gdaemonize_command >/dev/null' -s a -l append -d 'append to the output files instead of truncating them'
complete -c gdaemonize -n 'not __gdetach_gdaemonize_command >/dev/null' -s c -l chdir -x -a '(__fish_complete_directories)' -d 'run in DIR (default /)'
complete -c gdaemonize -n 'not __gdetach_gdaemonize_command >/dev/null' -s e -l stderr -r -F -d 'send standard error to FILE (default /dev/null)'
complete -c gdaemonize -n 'not __gdetach_gdaemonize_command >/dev/null' -s o -l stdout -r -F -d 'send standard output to FILE (default /dev/null)'
complete -c gdaemonize -n 'not __gdetach_gdaemonize_command >/dev/null' -s E -l env -x -d 'add NAME=VALUE to the environment (repeatable)'
complete -c gdaemonize -n 'not __gdetach_gdaemonize_command >/dev/null' -l env-file -r -F -d 'add the KEY=VALUE lines of FILE to the environment, before -E'
complete -c gdaemonize -n 'not __gdetach_gdaemonize_command >/dev/null' -s p -l pidfile -r -F -d 'write the daemon\'s PID to FILE, locked while it runs'
complete -c gdaemonize -n 'not __gdetach_gdaemonize_command >/dev/null' -s l -l lockfile -r -F -d 'lock FILE (created mode 0600) instead of the pidfile'
complete -c gdaemonize -n 'not __gdetach_gdaemonize_command >/dev/null' -s u -l user -x -a '(__fish_complete_users)' -d 'run as USER (or USER:GROUP), with its groups, HOME, USER, LOGNAME (root only)'
complete -c gdaemonize -n 'not __gdetach_gdaemonize_command >/dev/null' -s v -l verbose -d 'say what is done, on standard error'
complete -c gdaemonize -n 'not __gdetach_gdaemonize_command >/dev/null' -l umask -x -d 'the daemon\'s umask: MODE in octal'
complete -c gdaemonize -n 'not __gdetach_gdaemonize_command >/dev/null' -l notify-await -d 'return only when COMMAND sends READY=1 to $NOTIFY_SOCKET'
complete -c gdaemonize -n 'not __gdetach_gdaemonize_command >/dev/null' -l notify-timeout -x -d 'give up waiting for READY=1 after D'
complete -c gdaemonize -n 'not __gdetach_gdaemonize_command >/dev/null' -l status -d 'report on the daemon of --pidfile: exit 0 running, 1 dead, 3 not running, 4 unknown'
complete -c gdaemonize -n 'not __gdetach_gdaemonize_command >/dev/null' -l stop -d 'stop the daemon of --pidfile and remove the pidfile'
complete -c gdaemonize -n 'not __gdetach_gdaemonize_command >/dev/null' -l signal -x -a 'HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO PWR SYS RTMIN RTMAX' -d 'with --stop, the signal SIG sent first; alone, send SIG (a reload)'
complete -c gdaemonize -n 'not __gdetach_gdaemonize_command >/dev/null' -l timeout -x -d '--stop: send SIGKILL after D'
complete -c gdaemonize -n 'not __gdetach_gdaemonize_command >/dev/null' -s h -l help -d 'display this help and exit'
complete -c gdaemonize -n 'not __gdetach_gdaemonize_command >/dev/null' -s V -l version -d 'output version information and exit'
