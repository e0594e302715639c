# QEMU helpers for the VM tier (sourced by bash scripts).
#
# One VM at a time per work directory $VM_DIR: serial console and monitor on
# FIFO pairs (the serial output is copied to $VM_DIR/serial.log), TCG with
# the qemu64 CPU (KVM hangs on these machines; build and boot must use the
# same CPU model), no display. Every wait has a timeout.

VM_CPU=${VM_CPU:-qemu64}
# One vCPU per guest: the tier runs two guests beside the host tiers on two
# cores, and with two vCPUs each (four vCPU threads) a guest's CPU waiting
# on the other, descheduled one stalled it for minutes in full runs (soft
# lockups in a shell, udevd starting after systemd's 90 s device wait).
VM_SMP=${VM_SMP:-1}

vm_need_qemu() {
	command -v qemu-system-x86_64 >/dev/null && command -v qemu-img >/dev/null && return 0
	echo "qemu-system-x86_64/qemu-img missing: the VM tier needs them (tools/install-deps.sh)" >&2
	exit 1
}

# vm_start NAME MEM-MB QEMU-ARGS...: start a VM in the background.
vm_start() {
	local name=$1 mem=$2; shift 2
	VM_NAME=$name
	VM_LOG=$VM_DIR/$name.serial.log
	rm -f "$VM_DIR/serial.in" "$VM_DIR/serial.out" "$VM_DIR/mon.in" "$VM_DIR/mon.out"
	mkfifo "$VM_DIR/serial.in" "$VM_DIR/serial.out" "$VM_DIR/mon.in" "$VM_DIR/mon.out"
	: > "$VM_LOG"
	# Hold the input FIFOs open read-write so writes never block and QEMU
	# never sees end of file.
	exec {VM_SIN}<>"$VM_DIR/serial.in" {VM_MIN}<>"$VM_DIR/mon.in"
	VM_START=$SECONDS
	qemu-system-x86_64 -accel tcg,thread=multi -cpu "$VM_CPU" -smp "$VM_SMP" -m "$mem" \
		-display none -vga none -no-reboot -nodefaults \
		-chardev pipe,id=ser0,path="$VM_DIR/serial" -serial chardev:ser0 \
		-chardev pipe,id=mon0,path="$VM_DIR/mon" -mon chardev=mon0,mode=readline \
		"$@" > "$VM_DIR/$name.qemu.log" 2>&1 &
	VM_PID=$!
	# The readers start after QEMU so its opens of the .out FIFOs succeed.
	cat "$VM_DIR/serial.out" >> "$VM_LOG" &
	VM_CAT=$!
	cat "$VM_DIR/mon.out" > "$VM_DIR/$name.monitor.log" &
	VM_MCAT=$!
}

vm_alive() { [ -n "${VM_PID:-}" ] && kill -0 "$VM_PID" 2>/dev/null; }

# vm_wait TIMEOUT REGEX...: wait until the serial log matches one of the
# extended regexes; prints the index (1-based) of the first that matched.
# Returns 1 on timeout, 2 when QEMU exited first.
vm_wait() {
	local timeout=$1; shift
	local deadline=$((SECONDS + timeout)) i re
	while :; do
		i=0
		for re in "$@"; do
			i=$((i + 1))
			if grep -a -q -E -- "$re" "$VM_LOG"; then echo "$i"; return 0; fi
		done
		if ! vm_alive; then
			sleep 0.3
			i=0
			for re in "$@"; do
				i=$((i + 1))
				if grep -a -q -E -- "$re" "$VM_LOG"; then echo "$i"; return 0; fi
			done
			return 2
		fi
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.5
	done
}

# vm_type TEXT: type TEXT and Enter on the serial console.
vm_type() { printf '%s\r' "$1" >&"$VM_SIN"; }

# vm_monitor COMMAND: a QEMU monitor command.
vm_monitor() { printf '%s\n' "$1" >&"$VM_MIN"; }

# vm_wait_exit TIMEOUT: wait for QEMU to exit by itself; 1 on timeout.
vm_wait_exit() {
	local deadline=$((SECONDS + $1))
	while vm_alive; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.5
	done
	return 0
}

# vm_stop: end the VM (monitor quit, then SIGTERM, then SIGKILL) and its readers.
vm_stop() {
	[ -n "${VM_PID:-}" ] || return 0
	if vm_alive; then
		vm_monitor quit 2>/dev/null
		vm_wait_exit 10 || kill "$VM_PID" 2>/dev/null
		vm_wait_exit 5 || kill -9 "$VM_PID" 2>/dev/null
	fi
	wait "$VM_PID" 2>/dev/null
	sleep 0.2
	kill "$VM_CAT" "$VM_MCAT" 2>/dev/null
	wait "$VM_CAT" "$VM_MCAT" 2>/dev/null
	exec {VM_SIN}>&- {VM_MIN}>&-
	VM_PID=""
	VM_ELAPSED=$((SECONDS - VM_START))
	# The latest serial log of every step, passed or not, for inspection.
	if [ -n "${VM_KEEP:-}" ]; then
		mkdir -p "$VM_KEEP/last"
		cp "$VM_LOG" "$VM_KEEP/last/${SCENARIO:-vm}-$VM_NAME.serial.log" 2>/dev/null
	fi
}

# vm_keep_log WHY: copy the serial log of the current VM into $VM_KEEP (the
# failure logs directory) and print where.
vm_keep_log() {
	mkdir -p "$VM_KEEP"
	local dst=$VM_KEEP/${SCENARIO:-vm}-$VM_NAME.serial.log
	cp "$VM_LOG" "$dst"
	echo "$1: serial log kept in $dst" >&2
	echo "---- last lines of $VM_NAME serial log" >&2
	tail -n 40 "$VM_LOG" | tr -d '\r' | sed 's/^/    /' >&2
}
