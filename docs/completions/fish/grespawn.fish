# fish completion for grespawn(1), part of gdetach.
# Generated from grespawn's options by `make completions`: do not edit.

# __gdetach_grespawn_command prints COMMAND and its arguments, NUL-separated, once the
# line has them: what follows grespawn's options, as getopt finds it.
function __gdetach_grespawn_command
    set -l tokens (commandline -opc) (commandline -ct)
    set -e tokens[1]
    argparse -s m/max= restart= success-codes= delay= min-uptime= max-delay= max-failures= window= stop-timeout= stop-signal= restart-signal= map-status= signal-group pidfile= status-file= status= json l/log= stderr-log= log-max-size= log-backups= 'log-timestamps=?' log-timestamp-format= log-events log-reopen-signal= watch=+ watch-ignore=+ watch-poll= watch-debounce= pdeathsig= u/user= c/chdir= env-file= on-exit= on-exit-timeout= h/help V/version -- $tokens 2>/dev/null
    or return 1
    set -q argv[1]
    or return 1
    string join0 -- $argv
end

function __gdetach_grespawn_command_complete
    __fish_complete_subcommand --commandline (__gdetach_grespawn_command | string split0)
end

complete -c grespawn -f
complete -c grespawn -x -n '__gdetach_grespawn_command >/dev/null' -a '(__gdetach_grespawn_command_complete)'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -s m -l max -x -d 'run COMMAND at most N times in all, then exit (0: no limit)'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -l restart -x -a 'always on-failure never' -d 'when to restart: WHEN is always, on-failure or never'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -l success-codes -x -d 'CODES that count as success for on-failure, such as 0,2 (default 0)'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -l delay -x -d 'wait D before the first restart of a failure streak'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -l min-uptime -x -d 'a run shorter than D is a failure that doubles the delay'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -l max-delay -x -d 'cap the delay at D'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -l max-failures -x -d 'give up after N short runs within --window (0: never)'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -l window -x -d 'count --max-failures over the last D'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -l stop-timeout -x -d 'after SIGTERM or SIGINT, wait D before SIGKILL (0: at once)'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -l stop-signal -x -a 'HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO PWR SYS RTMIN RTMAX' -d 'send COMMAND SIG to stop it, and stop on SIG too (default: the signal received; TERM to restart)'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -l restart-signal -x -a 'HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO PWR SYS RTMIN RTMAX' -d 'on SIG, stop COMMAND and start it again at once (not passed on)'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -l map-status -x -d 'exit with TO when COMMAND\'s last status is FROM, as FROM=TO says (repeatable)'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -l signal-group -d 'forward signals to COMMAND\'s whole process group'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -l pidfile -r -F -d 'COMMAND daemonizes: supervise the process named in FILE'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -l status-file -r -F -d 'keep FILE up to date with pid, runs, last status, start time, backoff'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -l status -r -F -d 'report on the supervision of status FILE: exit 0 running, 1 dead, 3 not running, 4 unknown'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -l json -d 'with --status, print one JSON object instead of a line'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -s l -l log -r -F -d 'append COMMAND\'s standard output and error to FILE (-: to standard output)'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -l stderr-log -r -F -d 'append COMMAND\'s standard error to FILE instead'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -l log-max-size -x -d 'rotate the log before it grows past SIZE (0: never)'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -l log-backups -x -d 'keep N rotated logs, FILE.1 … FILE.N'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -l log-timestamps -f -a 'utc local' -d 'prefix every log line with the time it was read, in ZONE utc (the default) or local'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -l log-timestamp-format -x -d 'write the time as strftime LAYOUT says, such as \'%b %d %H:%M:%.S\''
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -l log-events -d 'write grespawn\'s own messages into the log too'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -l log-reopen-signal -x -a 'HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO PWR SYS RTMIN RTMAX' -d 'reopen the log on SIG (not passed on), as after logrotate'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -l watch -r -F -d 'restart COMMAND when files under PATH change (repeatable)'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -l watch-ignore -x -d 'leave out of the watch what GLOB matches: a name, or a path below PATH (repeatable)'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -l watch-poll -x -d 'look for changes every D instead of through inotify (bind mounts, NFS)'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -l watch-debounce -x -d 'restart once no change has come for D'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -l pdeathsig -x -a 'HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO PWR SYS RTMIN RTMAX' -d 'send COMMAND SIG if grespawn dies (Linux)'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -s u -l user -x -a '(__fish_complete_users)' -d 'run COMMAND as USER (or USER:GROUP), with its groups, HOME, USER, LOGNAME; another user needs root'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -s c -l chdir -x -a '(__fish_complete_directories)' -d 'run COMMAND in DIR'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -l env-file -r -F -d 'add the KEY=VALUE lines of FILE, read once, to COMMAND\'s environment'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -l on-exit -x -d 'after each run, run the shell command line CMD, told how the run ended in GRESPAWN_* variables'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -l on-exit-timeout -x -d 'stop an --on-exit hook that still runs after D (SIGTERM, then SIGKILL)'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -s h -l help -d 'display this help and exit'
complete -c grespawn -n 'not __gdetach_grespawn_command >/dev/null' -s V -l version -d 'output version information and exit'
