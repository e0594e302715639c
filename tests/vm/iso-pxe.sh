#!/bin/bash
# VM test iso-pxe: a guest with no disk boots the rescue environment over the
# network: SeaBIOS starts QEMU's iPXE ROM, which gets an address and the
# boot file serial.ipxe from QEMU's user network (DHCP and TFTP, serving
# the TFTP root 'make pxe' writes), loads the kernel and the initrd over
# TFTP and boots them; init says there is no RESCUE partition and starts
# the wizard (or, without it, the shell) on ttyS0, which answers.
# vm-cost: 90 (seconds: one network boot; the TFTP root built by make when missing)
set -uo pipefail
. "$(dirname "$0")/lib/harness.sh"
vm_setup
[ -x "$RESCUE_PLAIN" ] || die "no rescue binary at $RESCUE_PLAIN (run make)"
b=$(dirname "$RESCUE_PLAIN")
flock "$b/.rescue-image.lock" make -s -C "$RESCUE_SRC/iso" pxe BUILD="$b" >&2 || die "make pxe failed"
tftp=$b/pxe
for f in vmlinuz initrd.img rescue.ipxe serial.ipxe pxelinux.cfg/default grub/grub.cfg bootx64.efi grubx64.efi; do
	[ -s "$tftp/$f" ] || die "make pxe wrote no $f"
done
vm_start pxe 512 -machine q35 \
	-netdev "user,id=n0,tftp=$tftp,bootfile=serial.ipxe" -device virtio-net-pci,netdev=n0,bootindex=0
vm_wait 300 'RESCUE-WIZARD-START tty=ttyS0' >/dev/null || { vm_keep_log "no RESCUE-WIZARD-START on ttyS0"; die "the network boot did not reach the wizard"; }
t=$((SECONDS - VM_START))
grep -a -q 'no RESCUE partition' "$VM_LOG" || { vm_keep_log "init did not say there is no RESCUE partition"; die "no RESCUE partition message"; }
if grep -a -q 'RESCUE-WIZARD-START tty=ttyS0 mode=shell' "$VM_LOG"; then
	vm_wait 30 'RESCUE-READY' >/dev/null
	sleep 1
	vm_type 'echo ANSWER-$((6*7)) $(cat /proc/cmdline)'
	vm_wait 30 'ANSWER-42' >/dev/null || { vm_keep_log "the shell did not answer"; die "no answer"; }
	log "network boot: the shell on ttyS0 answered after ${t}s (no wizard in this image)"
else
	vm_wait 60 '[Rr]escue' >/dev/null || { vm_keep_log "the wizard drew no screen"; die "no wizard screen"; }
	log "network boot: the wizard started on ttyS0 after ${t}s"
fi
vm_stop
printf 'TIMES iso-pxe boot=%ss\n' "$t"
echo "booted over QEMU's TFTP with no disk"
