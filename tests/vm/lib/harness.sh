# Host side of the VM tier (sourced by bash): the rescue image, cached base
# images, jobs run inside the rescue environment, and target boots.
#
# Environment (tests/run.sh sets it): RESCUE_SRC, RESCUE_PLAIN (the plain
# rescue binary put into the image), RESCUE_CACHE (cache outside the tree).
set -u
VM_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_TOP=$(cd "$VM_LIB/.." && pwd)
RESCUE_SRC=${RESCUE_SRC:-$(cd "$VM_TOP/../.." && pwd)}
RESCUE_PLAIN=${RESCUE_PLAIN:-$RESCUE_SRC/build/rescue}
RESCUE_CACHE=${RESCUE_CACHE:-/var/cache/rescue-dev}
VM_CACHE=$RESCUE_CACHE/vm
VM_KEEP=${VM_KEEP:-$(dirname "$RESCUE_PLAIN")/test-logs/vm}
# The LUKS passphrase of every test image (typed on the serial console at
# boot, written into job parameters for the rescue environment).
VM_PASS=rescue-test-passphrase
VM_MARKER=RESCUE-TEST-TARGET-REACHED-MULTI-USER
. "$VM_LIB/qemu.sh"

log() { echo "[$(date +%H:%M:%S) +$((SECONDS))s] $*"; }
die() { echo "FAIL: $*" >&2; exit 1; }

vm_setup() {
	vm_need_qemu
	[ "$(id -u)" -eq 0 ] || { echo "the VM tier needs root (mmdebstrap, chroot, device nodes)"; exit 77; }
	mkdir -p "$VM_CACHE"
	VM_DIR=$(mktemp -d "${TMPDIR:-/var/tmp}/rescue-vm.XXXXXX")
	trap vm_cleanup EXIT
	trap 'exit 130' INT TERM
}
vm_cleanup() {
	[ -n "${VM_DEBUG:-}" ] && return 0
	vm_stop 2>/dev/null
	rm -rf "$VM_DIR"
}

# rescue_image: build (or reuse) the rescue image for $RESCUE_PLAIN; sets
# RESCUE_KERNEL and RESCUE_INITRD.
rescue_image() {
	[ -x "$RESCUE_PLAIN" ] || die "no rescue binary at $RESCUE_PLAIN (run make)"
	local b
	b=$(dirname "$RESCUE_PLAIN")
	# Serialised: several scenarios may start at once and share the image.
	mkdir -p "$b"
	flock "$b/.rescue-image.lock" make -s -C "$RESCUE_SRC/iso" rescue-image BUILD="$b" >&2 \
		|| die "make rescue-image failed"
	RESCUE_KERNEL=$b/rescue-image/vmlinuz
	RESCUE_INITRD=$b/rescue-image/initrd.img
}

# hash_of FILE...: short content hash.
hash_of() { cat "$@" | sha256sum | cut -c1-16; }

# make_job DIR SCRIPT [PARAM=VALUE...]: a job tar (run.sh runs SCRIPT with
# guest.sh and params beside it); prints its path.
make_job() {
	local dir=$1 script=$2; shift 2
	rm -rf "$dir" && mkdir -p "$dir/job"
	cp "$VM_LIB/guest.sh" "$VM_LIB/guest-rescue.sh" "$dir/job/"
	# Helpers of one base image (guest-b2.sh, ...), small: every job gets them.
	local g
	for g in "$VM_LIB"/guest-b[0-9]*.sh; do [ -f "$g" ] && cp "$g" "$dir/job/"; done
	cp "$script" "$dir/job/main.sh"
	# Extra files for the job (packages, key files), from $JOB_EXTRA.
	local f
	for f in ${JOB_EXTRA:-}; do cp "$f" "$dir/job/"; done
	printf 'exec bash ./main.sh\n' > "$dir/job/run.sh"
	{
		printf 'PASS=%q\nMARKER=%q\n' "$VM_PASS" "$VM_MARKER"
		local kv
		for kv in "$@"; do printf '%s=%q\n' "${kv%%=*}" "${kv#*=}"; done
	} > "$dir/job/params"
	tar -cf "$dir/job.tar" -C "$dir/job" .
	echo "$dir/job.tar"
}

# run_job NAME TIMEOUT JOBTAR QEMU-DRIVE-ARGS...: boot the rescue image,
# run the job, wait for its exit line; returns the job's exit code (or 124
# on timeout, 125 when the VM died). The serial log is $VM_DIR/NAME.serial.log.
# With JOB_SNAPSHOT="DRIVE:FILE ...", a job that prints @@SNAPSHOT-REQUEST
# gets a live snapshot of those drives (each image keeps what was written
# so far; later writes go to the new qcow2 FILE on top of it) and the
# answer "snapshot-taken" (or "snapshot-failed") on its console.
run_job() {
	local name=$1 timeout=$2 job=$3; shift 3
	vm_start "$name" "${VM_MEM:-1536}" -kernel "$RESCUE_KERNEL" -initrd "$RESCUE_INITRD" \
		-append "console=ttyS0,115200 rescue.job=job" \
		$(vdisk "$job" raw job ro) "$@"
	local r rc t0=$SECONDS
	if [ -n "${JOB_SNAPSHOT:-}" ]; then
		r=$(vm_wait "$timeout" 'RESCUE-JOB-EXIT=[0-9]+' '^@@SNAPSHOT-REQUEST') ; rc=$?
		if [ $rc -eq 0 ] && [ "$r" = 2 ]; then
			job_snapshot $JOB_SNAPSHOT
			timeout=$((timeout - (SECONDS - t0)))
			[ "$timeout" -gt 0 ] || timeout=1
		fi
	fi
	r=$(vm_wait "$timeout" 'RESCUE-JOB-EXIT=[0-9]+') ; rc=$?
	if [ $rc -ne 0 ]; then
		vm_stop
		[ $rc -eq 1 ] && return 124
		return 125
	fi
	rc=$(grep -a -o -E 'RESCUE-JOB-EXIT=[0-9]+' "$VM_LOG" | head -n 1 | cut -d= -f2)
	vm_wait_exit 30 || true
	vm_stop
	return "$rc"
}

# job_snapshot DRIVE:FILE...: the monitor's snapshot_blkdev for each, checked
# with "info block" (it lists the drive as "d-DRIVE (#blockN): FILE (qcow2)"
# once FILE is its image), then one answer to the job on its console.
job_snapshot() {
	local pair drive file i ok=1
	for pair in "$@"; do
		drive=${pair%%:*} file=${pair#*:}
		rm -f "$file"
		vm_monitor "snapshot_blkdev d-$drive $file qcow2"
		vm_monitor "info block d-$drive"
		for ((i = 0; i < 120; i++)); do
			grep -a -q -F ": $file (qcow2)" "$VM_DIR/$VM_NAME.monitor.log" && break
			sleep 0.5
		done
		if grep -a -q -F ": $file (qcow2)" "$VM_DIR/$VM_NAME.monitor.log"; then
			log "frozen before undo: d-$drive (live snapshot; the job's later writes go to $(basename "$file"))"
		else
			log "the live snapshot of d-$drive failed: $(tail -n 3 "$VM_DIR/$VM_NAME.monitor.log" | tr -d '\r' | paste -sd ' ')"
			ok=0
		fi
	done
	if [ "$ok" = 1 ]; then vm_type snapshot-taken; else vm_type snapshot-failed; fi
}

# base_image NAME: path of the cached base image NAME (qcow2), built when
# missing (by one process at a time: the others wait for it). Key: the Debian tree tarball (itself keyed by its recipe), the
# builder script and the guest helpers (guest.sh, and guest-NAME.sh when the
# base has its own: another base's helpers do not change this one's key).
base_image() {
	local name=$1 recipe tree key img
	case $name in
	b1) recipe=dracut ;;
	b2) recipe=initramfs-tools ;;
	b3) recipe=selinux ;;
	*) die "unknown base image $name" ;;
	esac
	tree=$(bash "$RESCUE_SRC/tests/lib/debian-tree.sh" "$recipe") || die "debian-tree $recipe failed"
	local own=()
	[ -f "$VM_LIB/guest-$name.sh" ] && own=("$VM_LIB/guest-$name.sh")
	key=$(echo "$(basename "$tree") $VM_PASS $VM_MARKER" | cat - "$VM_TOP/bases/$name.sh" "$VM_LIB/guest.sh" "${own[@]}" | sha256sum | cut -c1-16)
	img=$VM_CACHE/base/$name-$key.qcow2
	if [ ! -s "$img" ]; then
		mkdir -p "$VM_CACHE/base"
		exec {lockfd}>"$img.lock"
		# BASE_NOWAIT=1 (prepare.sh): a base another process is building
		# is left to it (exit 3) instead of waiting for it.
		if [ "${BASE_NOWAIT:-0}" = 1 ]; then
			flock -n "$lockfd" || { exec {lockfd}>&-; return 3; }
		else
			flock "$lockfd"
		fi
		if [ ! -s "$img" ]; then
			log "building base image $name ($key) in a builder VM" >&2
			local t0=$SECONDS job
			qemu-img create -q -f qcow2 "$img.tmp" 4G
			job=$(make_job "$VM_DIR/build-$name" "$VM_TOP/bases/$name.sh" BASE="$name")
			run_job "build-$name" "${BASE_TIMEOUT:-900}" "$job" \
				$(vdisk "$img.tmp" qcow2 target) $(vdisk "$tree" raw tree ro) \
				|| { SCENARIO=base vm_keep_log "building base $name failed" >&2; rm -f "$img.tmp"; die "base image $name: builder job failed"; }
			grep -a -q BASE-BUILT "$VM_LOG" || { vm_keep_log "base $name" >&2; die "base $name: no BASE-BUILT"; }
			tr -d '\r' < "$VM_LOG" | grep -a -E '^BASE-META [A-Z]+=' | cut -d' ' -f2 | sort -u > "$img.meta"
			mv "$img.tmp" "$img"
			log "base image $name built in $((SECONDS - t0))s" >&2
			# Older versions of this base are stale: drop them.
			local old
			for old in "$VM_CACHE/base/$name"-*.qcow2; do
				[ "$old" = "$img" ] || rm -f "$old" "$old.meta" "$old.lock"
			done
		fi
		exec {lockfd}>&-
	fi
	echo "$img"
}

# vdisk FILE FORMAT SERIAL [ro]: QEMU arguments for a virtio disk with a
# serial (the guest finds disks by serial, not by order). Paths must not
# contain spaces: callers use the output unquoted.
vdisk() {
	local ro=""
	[ "${4:-}" = ro ] && ro=",readonly=on"
	echo "-drive file=$1,format=$2,if=none,id=d-$3$ro -device virtio-blk-pci,drive=d-$3,serial=$3"
}

# overlay BACKING NEW: a qcow2 overlay, so the backing image stays pristine.
overlay() { qemu-img create -q -f qcow2 -F qcow2 -b "$1" "$2"; }

# boot_target NAME IMAGE TIMEOUT [FAILURE-REGEX...]: boot IMAGE through its
# own boot loader (SeaBIOS or OVMF per $BOOT_FIRMWARE), type the passphrase
# at each prompt; sets BOOT_RESULT to marker, failure (BOOT_MATCH holds the
# regex), timeout or exited; BOOT_TIME to the seconds it took.
# A positive boot that failed because systemd in the guest gave up waiting
# for /dev/ttyS0 (a device every one of these machines has: the guest was
# starved by the host, udev did not get through its events in 90 s) boots
# once more; the first serial log is kept as NAME.starved.serial.log.
boot_target() {
	boot_target_once "$@"
	case $1 in positive*) ;; *) return 0 ;; esac
	[ "$BOOT_RESULT" = failure ] || return 0
	tr -d '\033' < "$VM_LOG" | grep -a -q -E 'Timed out waiting for device.*dev-ttyS0\.device' || return 0
	log "$1: the guest timed out waiting for /dev/ttyS0 (starved by the host); booting once more"
	cp "$VM_LOG" "$VM_DIR/$1.starved.serial.log"
	local first=$BOOT_TIME
	boot_target_once "$@"
	BOOT_TIME=$((BOOT_TIME + first))
}
# ovmf_drives NAME: QEMU's arguments for OVMF, one per line: the code
# read-only, the variable store a fresh writable copy ($VM_DIR/NAME.vars.fd)
# with the firmware's defaults and no boot entry of any installed system.
ovmf_drives() {
	local ovmf=/usr/share/OVMF
	[ -r "$ovmf/OVMF_CODE_4M.fd" ] && [ -r "$ovmf/OVMF_VARS_4M.fd" ] \
		|| die "no OVMF_CODE_4M.fd/OVMF_VARS_4M.fd in $ovmf (Debian package ovmf)"
	# BOOT_VARS: a variable store to start from (the boot entries an
	# earlier boot left) instead of the empty one.
	cp "${BOOT_VARS:-$ovmf/OVMF_VARS_4M.fd}" "$VM_DIR/$1.vars.fd"
	printf '%s\n' -drive "if=pflash,format=raw,unit=0,readonly=on,file=$ovmf/OVMF_CODE_4M.fd" \
		-drive "if=pflash,format=raw,unit=1,id=d-vars,file=$VM_DIR/$1.vars.fd"
}
boot_target_once() {
	local name=$1 img=$2 timeout=$3; shift 3
	local fw=()
	# Nothing persists between boots (no boot entries) unless BOOT_VARS
	# names a store, so the firmware starts the disk's removable path
	# EFI/BOOT/BOOTX64.EFI.
	if [ "${BOOT_FIRMWARE:-bios}" = uefi ]; then
		mapfile -t fw < <(ovmf_drives "$name")
		[ ${#fw[@]} -eq 4 ] || die "OVMF's firmware files are missing (Debian package ovmf)"
	fi
	vm_start "$name" 1024 "${fw[@]}" $(vdisk "$img" qcow2 target)
	local deadline=$((SECONDS + timeout)) typed=0 prompts r left
	BOOT_RESULT=timeout BOOT_MATCH=""
	while :; do
		left=$((deadline - SECONDS))
		[ $left -le 0 ] && break
		r=$(vm_wait "$left" "$VM_MARKER" 'Please enter passphrase' "$@")
		case $? in
		1) break ;;
		2) BOOT_RESULT=exited; break ;;
		esac
		if [ "$r" = 1 ]; then BOOT_RESULT=marker; break; fi
		prompts=$(grep -a -c 'Please enter passphrase' "$VM_LOG")
		if [ "$r" = 2 ] && [ "$prompts" -gt "$typed" ]; then
			sleep 0.5
			vm_type "$VM_PASS"
			typed=$prompts
			# Wait for one of the other patterns from now on.
			r=$(vm_wait_new "$left" "$prompts" "$@") || { [ $? -eq 2 ] && BOOT_RESULT=exited; break; }
			[ "$r" = 1 ] && { BOOT_RESULT=marker; break; }
			[ "$r" = 2 ] && continue
			BOOT_RESULT=failure BOOT_MATCH=${*:$((r - 2)):1}; break
		elif [ "$r" -gt 2 ]; then
			BOOT_RESULT=failure BOOT_MATCH=${*:$((r - 2)):1}; break
		fi
		sleep 0.5
	done
	BOOT_TIME=$((SECONDS - VM_START))
	vm_stop
}

# vm_wait_new TIMEOUT PROMPTS REGEX...: like vm_wait on (marker, a new
# passphrase prompt beyond PROMPTS seen, REGEX...).
vm_wait_new() {
	local timeout=$1 seen=$2; shift 2
	local deadline=$((SECONDS + timeout)) i re
	while :; do
		grep -a -q -- "$VM_MARKER" "$VM_LOG" && { echo 1; return 0; }
		[ "$(grep -a -c 'Please enter passphrase' "$VM_LOG")" -gt "$seen" ] && { echo 2; return 0; }
		i=2
		for re in "$@"; do
			i=$((i + 1))
			grep -a -q -E -- "$re" "$VM_LOG" && { echo "$i"; return 0; }
		done
		vm_alive || return 2
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.5
	done
}
