# fish completion for gnohup(1), part of gdetach.
# Generated from gnohup's options by `make completions`: do not edit.

# __gdetach_gnohup_command prints COMMAND and its arguments, NUL-separated, once the
# line has them: what follows gnohup's options, as getopt finds it.
function __gdetach_gnohup_command
    set -l tokens (commandline -opc) (commandline -ct)
    set -e tokens[1]
    argparse -s o/output= q/quiet pidfile= f/fork keep-session h/help V/version -- $tokens 2>/dev/null
    or return 1
    set -q argv[1]
    or return 1
    string join0 -- $argv
end

function __gdetach_gnohup_command_complete
    __fish_complete_subcommand --commandline (__gdetach_gnohup_command | string split0)
end

complete -c gnohup -f
complete -c gnohup -x -n '__gdetach_gnohup_command >/dev/null' -a '(__gdetach_gnohup_command_complete)'
complete -c gnohup -n 'not __gdetach_gnohup_command >/dev/null' -s o -l output -r -F -d 'take COMMAND off the caller\'s stdio: output to FILE (mode 0600), input from /dev/null'
complete -c gnohup -n 'not __gdetach_gnohup_command >/dev/null' -s q -l quiet -d 'do not print the advisory line ("ignoring input and appending output to …")'
complete -c gnohup -n 'not __gdetach_gnohup_command >/dev/null' -l pidfile -r -F -d 'write COMMAND\'s PID to FILE; removed when it exits'
complete -c gnohup -n 'not __gdetach_gnohup_command >/dev/null' -s f -l fork -d 'start COMMAND in a new session and exit once it runs (no relay stays)'
complete -c gnohup -n 'not __gdetach_gnohup_command >/dev/null' -l keep-session -d 'classic nohup: only ignore SIGHUP, stay in the session'
complete -c gnohup -n 'not __gdetach_gnohup_command >/dev/null' -s h -l help -d 'display this help and exit'
complete -c gnohup -n 'not __gdetach_gnohup_command >/dev/null' -s V -l version -d 'output version information and exit'
