#!/bin/bash
# What the VM tests of the wizard on the medium share (sourced after
# harness.sh, iso.sh and scenario.sh): a stick made from the ISO, a
# writable overlay of a scenario's broken image, and a tmux pane that
# renders the serial stream as a terminal would, with helpers to read the
# screen and type on the serial line.
#
# wizard_setup TEST SCENARIO: sets stick (the ISO written to a file, its
# RESCUE partition at byte off) and work (the overlay of the broken image);
# on a failure the screens seen so far are kept under $VM_KEEP/TEST.
wizard_setup() {
	WIZARD_TEST=$1
	local name=$2
	command -v tmux >/dev/null && command -v mcopy >/dev/null && command -v jq >/dev/null \
		|| die "tmux, mtools and jq are needed (tools/install-deps.sh)"
	vm_setup
	rescue_iso
	scenario_load "$name"
	scenario_broken "$name" || die "no broken image for $name"
	stick=$VM_DIR/stick.img
	cp --sparse=always "$RESCUE_ISO" "$stick"
	off=$(iso_part_offset "$stick" 3) || die "the ISO has no third partition"
	work=$VM_DIR/work.qcow2
	overlay "$BROKEN" "$work"
	tsock=$VM_DIR/tmux.sock
	trap keep_screens EXIT
}

T() { tmux -S "$tsock" "$@"; }
# On a failure the screens seen so far go with the serial log.
keep_screens() {
	local rc=$?
	T kill-server 2>/dev/null || true
	if [ "$rc" -ne 0 ] && ls "$VM_DIR"/[0-9]*.txt >/dev/null 2>&1; then
		mkdir -p "$VM_KEEP/$WIZARD_TEST" && cp "$VM_DIR"/[0-9]*.txt "$VM_DIR/screen.txt" "$VM_KEEP/$WIZARD_TEST/" 2>/dev/null
		echo "screens kept in $VM_KEEP/$WIZARD_TEST/" >&2
	fi
	vm_cleanup
}
screen() { T capture-pane -p -t ser > "$VM_DIR/screen.txt" 2>/dev/null; }
# wait_for REGEX [SECONDS]: until the screen shows it; else the screen is
# kept with the log and the test fails.
wait_for() {
	local i
	for ((i = 0; i < ${2:-120} * 5; i++)); do
		screen && grep -Eq -- "$1" "$VM_DIR/screen.txt" && return 0
		vm_alive || break
		sleep 0.2
	done
	echo "--- screen:"; cat "$VM_DIR/screen.txt"
	vm_keep_log "waited for '$1'"
	die "the wizard never showed '$1'"
}
# key TEXT: bytes to the serial line, as a terminal sends them.
key() { printf '%b' "$1" >&"$VM_SIN"; sleep 0.5; }
shot() { screen; cp "$VM_DIR/screen.txt" "$VM_DIR/$1.txt"; }
