#!/bin/bash
# make demo-vm: boot the rescue medium (build/rescue.iso) in QEMU beside a
# broken machine, for a person to try it on this terminal.
# The broken machine is the VM tier's B1 with catalogue scenario 2: Debian
# 12, root on LVM on LUKS2 (passphrase below), its default kernel's
# initramfs deleted, so it no longer boots. Its image is built and cached
# like the VM tier's (the first time takes about 15 minutes); each demo
# runs on a throwaway overlay.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
export RESCUE_SRC=$top RESCUE_PLAIN=${RESCUE_PLAIN:-$top/${RESCUE_BUILD:-build}/rescue}
. "$top/tests/vm/lib/harness.sh"
. "$top/tests/vm/lib/iso.sh"
. "$top/tests/vm/lib/scenario.sh"
vm_setup
rescue_iso
scenario_load b1-02-missing-initramfs
log "the broken machine (cached after the first time)"
scenario_broken b1-02-missing-initramfs || die "could not build the broken machine"
overlay "$BROKEN" "$VM_DIR/machine.qcow2"
iso_media cd "$RESCUE_ISO"
cat <<MSG

== The rescue medium in QEMU, on this terminal (its serial console)
   At the boot menu press 's' (the wizard on the serial console), or 'h'
   for a shell. The broken machine's disk is attached: LUKS passphrase
   '$VM_PASS'. Try:  rescue scan;  rescue diagnose;  rescue fix
   Quit QEMU with Ctrl-A then X. Nothing is kept: the machine's disk is an
   overlay removed afterwards.

MSG
qemu-system-x86_64 -accel tcg,thread=multi -cpu qemu64 -smp 2 -m 1024 -machine q35 \
	-display none -vga none -nodefaults -no-reboot -serial mon:stdio \
	"${ISO_MEDIA[@]}" $(vdisk "$VM_DIR/machine.qcow2" qcow2 target)
