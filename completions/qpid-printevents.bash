_qpid_printevents_completion() {
    local IFS=$'\n'
    local response type value

    # The line up to the cursor rather than COMP_WORDS, which bash splits at ':' too.
    response=$(env COMP_LINE="${COMP_LINE:0:COMP_POINT}" COMP_WORDBREAKS="$COMP_WORDBREAKS" \
_QPID_PRINTEVENTS_COMPLETE=bash_complete "$1" 2>/dev/null)

    for completion in $response; do
        IFS=',' read -r type value <<< "$completion"

        if [[ $type == 'dir' ]]; then
            COMPREPLY=()
            compopt -o dirnames
        elif [[ $type == 'file' ]]; then
            COMPREPLY=()
            compopt -o default
        elif [[ $type == 'plain' ]]; then
            COMPREPLY+=("$value")
        fi
    done

    return 0
}

_qpid_printevents_completion_setup() {
    complete -o nosort -F _qpid_printevents_completion qpid-printevents
}

_qpid_printevents_completion_setup;
