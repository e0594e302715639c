#!/bin/bash
# VM test medium-broken: the rescue medium's first stage (iso/early-init)
# refuses to go on with a damaged environment, says why, runs nothing and,
# on an unattended boot, powers the machine off:
#   1. RESCUE-BROKEN: the squashfs image inside the initramfs is damaged
#      (a second cpio archive appended to the real initrd replaces
#      /rescue.sqfs with 1 MiB of random bytes; the kernel unpacks archives
#      in order, later files over earlier ones);
#   2. RESCUE-INCOMPLETE: the initrd is cut short in the middle of the image
#      (what a truncated download or copy gives): the kernel unpacks what it
#      got, and the archive's last entry, /.rescue-complete, is missing.
# Both boot the real kernel and initrd directly (QEMU -kernel/-initrd, 384
# MiB) with rescue.auto=1: nothing may run (no "running rescue", no
# RESCUE-AUTO-EXIT) and QEMU must end by itself (the guest's power off).
# vm-cost: 60 (seconds: two short boots to the first stage, 10 s of
# waiting each before the power off)
set -uo pipefail
. "$(dirname "$0")/lib/harness.sh"
vm_setup
rescue_image

# boot NAME INITRD MARKER: boot INITRD unattended; MARKER must show, then
# the guest must power off with nothing run.
boot() {
	local name=$1 initrd=$2 marker=$3
	vm_start "$name" 384 -machine q35 -kernel "$RESCUE_KERNEL" -initrd "$initrd" \
		-append "console=ttyS0,115200 rescue.auto=1 panic=-1"
	vm_wait 120 "$marker" 'Kernel panic' 'running rescue' >/dev/null
	grep -a -q -- "$marker" "$VM_LOG" || { vm_keep_log "$name: no $marker"; return 1; }
	vm_wait_exit 60 || { vm_keep_log "$name: the guest did not power off after $marker"; return 1; }
	if grep -a -q -E 'running rescue|RESCUE-AUTO-EXIT|RESCUE-WIZARD-START|Kernel panic' "$VM_LOG"; then
		vm_keep_log "$name: something ran after $marker"
		return 1
	fi
	grep -a -q 'nothing was run; powering off' "$VM_LOG" \
		|| { vm_keep_log "$name: no word of the power off"; return 1; }
	log "$name: $(grep -a -o "$marker[^$(printf '\r')]*" "$VM_LOG" | head -n 1)"
}

fails=0

# 1. The image replaced by random bytes.
mkdir -p "$VM_DIR/over"
head -c 1048576 /dev/urandom > "$VM_DIR/over/rescue.sqfs"
(cd "$VM_DIR/over" && echo rescue.sqfs | cpio -o -H newc --quiet) > "$VM_DIR/over.cpio"
cat "$RESCUE_INITRD" "$VM_DIR/over.cpio" > "$VM_DIR/broken.img"
boot broken "$VM_DIR/broken.img" 'RESCUE-BROKEN: ' || fails=$((fails + 1))
vm_stop

# 2. The initrd cut at half its length: inside the image, which fills most
# of the archive, so /.rescue-complete (the last entry) never arrives.
head -c $(( $(stat -c %s "$RESCUE_INITRD") / 2 )) "$RESCUE_INITRD" > "$VM_DIR/short.img"
boot short "$VM_DIR/short.img" 'RESCUE-INCOMPLETE: ' || fails=$((fails + 1))
vm_stop

[ "$fails" -eq 0 ] || die "$fails of 2 damaged media were not refused as they must be"
echo "damaged media refused: RESCUE-BROKEN and RESCUE-INCOMPLETE, nothing run, powered off"
