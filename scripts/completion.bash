# Bash completion for s3fanout-publish and s3fanout-subscribe, through System.CommandLine's [suggest] directive:
# each executable lists the options and subcommands that fit the command line so far.
#   source scripts/completion.bash        (or copy it to /etc/bash_completion.d/s3fanout)
_s3fanout_complete() {
  local IFS=$'\n' line="${COMP_LINE:0:$COMP_POINT}"
  local suggestions
  suggestions="$("$1" "[suggest:${#line}]" "$line" 2>/dev/null)" || return 0
  COMPREPLY=($(compgen -W "$suggestions" -- "${COMP_WORDS[COMP_CWORD]}"))
}
complete -o default -F _s3fanout_complete s3fanout-publish s3fanout-subscribe
