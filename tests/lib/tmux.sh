# Driving the real wizard in tmux (source it after testlib.sh): a detached
# session on a private socket is the terminal; keys go in with send-keys
# and the screen comes back with capture-pane. Needs $w (a work directory).
tmux_sock=$w/tmux.sock
T() { tmux -S "$tmux_sock" "$@"; }
trap 'T kill-server 2>/dev/null || true; test_cleanup' EXIT

# tui_start COLSxROWS TERM ARGS...: the wizard in a pane; when it exits the
# pane prints TUI-EXIT=<status> and stays.
tui_start() {
	local size=$1 term=$2; shift 2
	T new-session -d -s tui -x "${size%x*}" -y "${size#*x}" \
		"env TERM=$term RESCUE_STATE_DIR=$w/state $RESCUE tui $*; echo TUI-EXIT=\$?; sleep 600"
}
screen() { T capture-pane -p -t tui; }
# wait_for REGEX [SECONDS]: until the screen shows it (the screen is shown
# on a timeout, and the test fails).
wait_for() {
	local i
	for ((i = 0; i < ${2:-60} * 10; i++)); do
		screen > $w/screen.txt 2>/dev/null || break
		grep -Eq -- "$1" $w/screen.txt && return 0
		sleep 0.1
	done
	echo "--- screen:"; cat $w/screen.txt
	fail "waited for '$1'"
}
keys() { T send-keys -t tui "$@"; sleep 0.3; }
