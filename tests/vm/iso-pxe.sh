#!/bin/bash
# VM test iso-pxe: a guest with no disk boots the rescue environment over the
# network, from the TFTP root 'make pxe' writes, served by QEMU's user network
# (DHCP names the boot file, TFTP serves it), once through each loader:
#   1. ipxe: SeaBIOS starts QEMU's iPXE ROM, which fetches serial.ipxe, the
#      kernel and the initrd; the wizard (or, without it, the shell) on
#      ttyS0 must answer;
#   2. pxelinux: the same ROM fetches Debian's pxelinux.0, which fetches
#      ldlinux.c32 and pxelinux.cfg/default and prompts on ttyS0; the label
#      "serial" is typed at its prompt and it loads the kernel and initrd;
#   3. uefi-secboot: OVMF with Secure Boot enforcing (Microsoft's keys) and
#      its own network stack (no iPXE ROM) fetches bootx64.efi (Debian's
#      signed shim), which fetches grubx64.efi (Debian's signed network
#      GRUB); GRUB reads grub/grub.cfg over TFTP, its "s" entry is chosen on
#      ttyS0, and it loads the signed kernel and the initrd; init must report
#      Secure Boot on and the kernel locked down.
# Each boot must reach the wizard's start on ttyS0, with init saying there is
# no RESCUE partition; boots 2 and 3 stop there. A boot that shows a loader's
# failure (a file missing from the TFTP root, no bootable device) fails at
# once instead of waiting out its timeout.
# PXE_TFTP=DIR serves DIR as it is (no make, no check of its file list): a
# negative control by hand, e.g. a copy of build/pxe without ldlinux.c32.
# PXE_BOOTS="ipxe pxelinux uefi-secboot" chooses the boots.
# vm-cost: 285 (seconds: three network boots of 35-120 s each, 161 s in all at load 5, 285 s at load 8; the TFTP root built by make when missing)
set -uo pipefail
. "$(dirname "$0")/lib/harness.sh"
. "$(dirname "$0")/lib/iso.sh"
vm_setup
if [ -n "${PXE_TFTP:-}" ]; then
	tftp=$PXE_TFTP
	log "serving $tftp as it is (PXE_TFTP)"
else
	[ -x "$RESCUE_PLAIN" ] || die "no rescue binary at $RESCUE_PLAIN (run make)"
	b=$(dirname "$RESCUE_PLAIN")
	flock "$b/.rescue-image.lock" make -s -C "$RESCUE_SRC/iso" pxe BUILD="$b" >&2 || die "make pxe failed"
	tftp=$b/pxe
	for f in vmlinuz initrd.img rescue.ipxe serial.ipxe pxelinux.0 ldlinux.c32 pxelinux.cfg/default \
		bootx64.efi grubx64.efi grub/grub.cfg; do
		[ -s "$tftp/$f" ] || die "make pxe wrote no $f"
	done
fi

# What the loaders print on ttyS0 when they cannot go on: PXELINUX without
# the kernel or initrd, GRUB without a file or (no message) without its
# configuration at its prompt, OVMF when its network boot option failed or no
# boot option worked, and the kernel. iPXE, SeaBIOS and PXELINUX before it
# has read its configuration (SERIAL 0) print on the screen only: a file
# missing then shows as a timeout.
FAILED='Could not find kernel image|Boot failed|error: file .* not found|grub( rescue)?> |BdsDxe: failed to load|No bootable option|Access Denied|Kernel panic'

# net_boot NAME FIRMWARE BOOTFILE: start the guest with no disk, a virtio NIC
# first in the boot order, and DHCP naming BOOTFILE. On OVMF the NIC has no
# option ROM: the firmware's own network stack boots, as on a real machine.
net_boot() {
	local name=$1 fw=$2 bootfile=$3 rom=""
	iso_firmware "$name" "$fw"
	[ "$fw" = bios ] || rom=",romfile="
	vm_start "$name" 512 "${ISO_FW[@]}" \
		-netdev "user,id=n0,tftp=$tftp,bootfile=$bootfile" -device "virtio-net-pci,netdev=n0,bootindex=0$rom"
}


# reached NAME CHECK...: the wizard's start on ttyS0 (sets WIZARD_AT), and
# each CHECK regex in the serial log.
reached() {
	local name=$1 re; shift
	wait_for "$name" 300 'RESCUE-WIZARD-START tty=ttyS0' "RESCUE-WIZARD-START on ttyS0" || return 1
	WIZARD_AT=$((SECONDS - VM_START))
	# The wizard starts before the devices have settled: init's lines about
	# the medium come later, up to RESCUE-READY.
	wait_for "$name" 60 'RESCUE-READY' "RESCUE-READY" || return 1
	for re in 'no RESCUE partition' "$@"; do
		grep -a -q -E -- "$re" "$VM_LOG" || { vm_keep_log "$name: the serial log lacks '$re'"; return 1; }
		log "$name: $(grep -a -o -E -- "$re" "$VM_LOG" | head -n 1 | tr -d '\r')"
	done
}

boot_ipxe() {
	net_boot ipxe bios serial.ipxe
	reached ipxe || return 1
	if grep -a -q 'RESCUE-WIZARD-START tty=ttyS0 mode=shell' "$VM_LOG"; then
		vm_wait 30 'RESCUE-READY' >/dev/null
		sleep 1
		vm_type 'echo ANSWER-$((6*7)) $(cat /proc/cmdline)'
		vm_wait 30 'ANSWER-42' >/dev/null || { vm_keep_log "ipxe: the shell did not answer"; return 1; }
		log "ipxe: the shell on ttyS0 answered after ${WIZARD_AT}s (no wizard in this image)"
	else
		vm_wait 60 '[Rr]escue' >/dev/null || { vm_keep_log "ipxe: the wizard drew no screen"; return 1; }
		log "ipxe: the wizard started on ttyS0 after ${WIZARD_AT}s"
	fi
}

boot_pxelinux() {
	net_boot pxelinux bios pxelinux.0
	# PXELINUX's prompt (SERIAL 0 in its configuration puts it on ttyS0),
	# 7-9 s after QEMU's start under load 8.
	wait_for pxelinux 60 'boot: ' "PXELINUX prompt" || return 1
	LOADER_AT=$((SECONDS - VM_START))
	sleep 0.5
	vm_type serial
	log "pxelinux: prompt after ${LOADER_AT}s, label 'serial' typed"
	reached pxelinux 'BOOT_IMAGE=vmlinuz|console=ttyS0' || return 1
	log "pxelinux: the wizard started on ttyS0 after ${WIZARD_AT}s"
}

boot_uefi_secboot() {
	net_boot uefi-secboot secboot bootx64.efi
	# GRUB's menu, read from grub/grub.cfg over TFTP, on the serial console.
	wait_for uefi-secboot 240 'the wizard on this screen' "GRUB menu" || return 1
	LOADER_AT=$((SECONDS - VM_START))
	sleep 0.5
	printf s >&"$VM_SIN"
	log "uefi-secboot: GRUB's menu after ${LOADER_AT}s, entry 's' chosen"
	# Shim fetched GRUB over TFTP; the kernel and init saw Secure Boot on.
	reached uefi-secboot 'Fetching Netboot Image grubx64.efi' 'secureboot: Secure boot enabled' \
		'UEFI boot, Secure Boot on, lockdown: [^[]*\[(integrity|confidentiality)\]' || return 1
	log "uefi-secboot: the wizard started on ttyS0 after ${WIZARD_AT}s"
}

fails=0 n=0
for boot in ${PXE_BOOTS:-ipxe pxelinux uefi-secboot}; do
	n=$((n + 1)) LOADER_AT=""
	log "boot $boot"
	if "boot_${boot//-/_}"; then
		vm_stop
		log "boot $boot: passed (${VM_ELAPSED}s)"
		printf 'TIMES iso-pxe %s loader=%s wizard=%ss\n' "$boot" "${LOADER_AT:+${LOADER_AT}s}" "$WIZARD_AT"
	else
		vm_stop
		fails=$((fails + 1))
	fi
done
[ "$fails" -eq 0 ] || die "$fails of $n network boots failed"
echo "booted over QEMU's TFTP with no disk $n times: ${PXE_BOOTS:-ipxe pxelinux uefi-secboot}"
