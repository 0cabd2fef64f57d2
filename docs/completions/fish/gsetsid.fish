# fish completion for gsetsid(1), part of gdetach.
# Generated from gsetsid's options by `make completions`: do not edit.

# __gdetach_gsetsid_command prints PROGRAM and its arguments, NUL-separated, once the
# line has them: what follows gsetsid's options, as getopt finds it.
function __gdetach_gsetsid_command
    set -l tokens (commandline -opc) (commandline -ct)
    set -e tokens[1]
    argparse -s c/ctty f/fork w/wait h/help V/version -- $tokens 2>/dev/null
    or return 1
    set -q argv[1]
    or return 1
    string join0 -- $argv
end

function __gdetach_gsetsid_command_complete
    __fish_complete_subcommand --commandline (__gdetach_gsetsid_command | string split0)
end

complete -c gsetsid -f
complete -c gsetsid -x -n '__gdetach_gsetsid_command >/dev/null' -a '(__gdetach_gsetsid_command_complete)'
complete -c gsetsid -n 'not __gdetach_gsetsid_command >/dev/null' -s c -l ctty -d 'set the controlling terminal to the current one (standard input)'
complete -c gsetsid -n 'not __gdetach_gsetsid_command >/dev/null' -s f -l fork -d 'always fork'
complete -c gsetsid -n 'not __gdetach_gsetsid_command >/dev/null' -s w -l wait -d 'wait for PROGRAM, pass signals on, and return its status'
complete -c gsetsid -n 'not __gdetach_gsetsid_command >/dev/null' -s h -l help -d 'display this help and exit'
complete -c gsetsid -n 'not __gdetach_gsetsid_command >/dev/null' -s V -l version -d 'output version information and exit'
