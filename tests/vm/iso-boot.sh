#!/bin/bash
# VM test iso-boot: the rescue medium (make iso) boots to the wizard
#   1. as a CD on SeaBIOS,
#   2. as a CD on OVMF (UEFI, Secure Boot off),
#   3. as a USB disk on OVMF with Secure Boot enforcing (Microsoft's keys):
#      from inside, the SecureBoot variable is 1 and the kernel is locked
#      down,
#      (and, without the wizard, the shell reads the variable, the lockdown
#      state, an untainted kernel and the signed modules dm_crypt, dm_mod,
#      efivarfs and vfat loaded; whether a keyboard layout loads is logged),
# The USB disk on SeaBIOS is booted by iso-wizard-repair, which also
# writes its report to the RESCUE partition; a boot of its own here cost
# some 100 s of the tier and checked less.
# each time through the boot menu on the serial console (its "s" entry:
# the wizard on ttyS0), and the wizard answers a key. Where the image has no
# rescue program (or with rescue.shell=1), init starts a shell instead
# and says so (RESCUE-WIZARD-START ... mode=shell); the test then checks
# that the shell answers, and checks the firmware state from it.
# vm-cost: 300 (seconds under load: three boots of the ISO, 60-170 s each; the ISO built by make when missing)
set -uo pipefail
. "$(dirname "$0")/lib/harness.sh"
. "$(dirname "$0")/lib/iso.sh"
vm_setup
rescue_iso
log "ISO: $RESCUE_ISO ($(du -m "$RESCUE_ISO" | cut -f1) MB)"

# check_console NAME: after the menu choice, the wizard (or the shell) runs
# on ttyS0 and answers a key; prints the seconds from QEMU's start.
check_console() {
	local name=$1
	vm_wait 240 'RESCUE-WIZARD-START tty=ttyS0' >/dev/null \
		|| { vm_keep_log "$name: no RESCUE-WIZARD-START on ttyS0"; return 1; }
	WIZARD_AT=$((SECONDS - VM_START))
	mode=$(tr -d '\r' < "$VM_LOG" | grep -a -o 'RESCUE-WIZARD-START tty=ttyS0 mode=[a-z]*' | head -n 1 | sed 's/.*mode=//')
	if [ "$mode" = wizard ]; then
		# The wizard's first screen (what ttyS0 shows after the marker, init's
		# own lines left out) has its heading; then it must answer a key.
		local at i found=0
		at=$(grep -a -b -o 'RESCUE-WIZARD-START tty=ttyS0' "$VM_LOG" | head -n 1 | cut -d: -f1)
		for i in $(seq 120); do
			tail -c +$((at + 40)) "$VM_LOG" | tr -d '\r' | grep -a -v -E 'RESCUE-|rescue-init:' \
				| grep -a -q -E -- "$WIZARD_HEADING" && { found=1; break; }
			sleep 0.5
		done
		[ "$found" = 1 ] || { vm_keep_log "$name: the wizard drew no first screen with '$WIZARD_HEADING'"; return 1; }
		local before
		sleep 2
		before=$(stat -c %s "$VM_LOG")
		printf '\t' >&"$VM_SIN"
		for i in $(seq 40); do
			[ "$(stat -c %s "$VM_LOG")" -gt "$before" ] && break
			sleep 0.5
		done
		[ "$(stat -c %s "$VM_LOG")" -gt "$before" ] || { vm_keep_log "$name: the wizard did not answer a key"; return 1; }
		log "$name: the wizard started on ttyS0 after ${WIZARD_AT}s and answered a key"
		# The wizard starts before the devices have settled: init's lines
		# about the medium come later, up to RESCUE-READY.
		vm_wait 60 'RESCUE-READY' >/dev/null || { vm_keep_log "$name: init did not finish (no RESCUE-READY)"; return 1; }
	elif [ "$mode" = shell ]; then
		vm_wait 30 'RESCUE-READY' >/dev/null || { vm_keep_log "$name: no RESCUE-READY"; return 1; }
		sleep 1
		vm_type 'echo ANSWER-$((6*7))'
		vm_wait 30 'ANSWER-42' >/dev/null || { vm_keep_log "$name: the shell on ttyS0 did not answer"; return 1; }
		# The firmware and kernel state, read from inside.
		# efivarfs is mounted by whoever first reads it (init does not).
		vm_type 'mountpoint -q /sys/firmware/efi/efivars || mount -t efivarfs efivarfs /sys/firmware/efi/efivars; echo "INSIDE SB=$(od -An -t u1 /sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c 2>/dev/null | awk "{print \$NF}") LOCKDOWN=$(cat /sys/kernel/security/lockdown 2>/dev/null | tr " " _) TAINTED=$(cat /proc/sys/kernel/tainted) MODULES=$(lsmod | grep -c -E "^(dm_crypt|dm_mod|efivarfs|vfat) ")"'
		vm_wait 30 'INSIDE SB=[0-9]* LOCKDOWN' >/dev/null || { vm_keep_log "$name: no answer to the state query"; return 1; }
		log "$name: $(tr -d '\r' < "$VM_LOG" | grep -a -o 'INSIDE SB=.*' | tail -n 1)"
		# A keyboard layout from console-data (what rescue.keymap= does):
		# reported, not yet a condition of the test.
		vm_type 'loadkeys -q -C /dev/tty1 de-latin1 && echo KEYMAP-LOADED-$((1+1))'
		if vm_wait 15 'KEYMAP-LOADED-2' >/dev/null; then
			log "$name: loadkeys de-latin1: loaded"
		else
			log "$name: loadkeys de-latin1: no answer within 15 s (not a failure of this test)"
		fi
		log "$name: no wizard in this image (rescue tui missing): the shell on ttyS0 answered after ${WIZARD_AT}s"
	else
		vm_keep_log "$name: RESCUE-WIZARD-START names no mode"
		return 1
	fi
}

fails=0 mode=""
# What the wizard's first screen must show (a regex).
WIZARD_HEADING=${WIZARD_HEADING:-rescue}
# boot NAME FIRMWARE MEDIUM FILE CHECK...: one boot; CHECK is a regex the
# serial log must match (init's lines about the firmware and the medium).
boot() {
	local name=$1 fw=$2 medium=$3 file=$4; shift 4
	log "boot $name: $fw, $medium"
	iso_boot "$name" 512 "$fw" "$medium" "$file" s || { vm_keep_log "$name: no boot menu on the serial console"; vm_stop; return 1; }
	log "$name: boot menu after ${ISO_MENU_AT}s, entry 's' chosen"
	check_console "$name" || { vm_stop; return 1; }
	local re
	for re in "$@"; do
		# shell:REGEX checks what the shell answered; only without the wizard.
		case $re in shell:*) [ "$mode" = shell ] || continue; re=${re#shell:} ;; esac
		grep -a -q -E -- "$re" "$VM_LOG" || { vm_keep_log "$name: the serial log lacks '$re'"; vm_stop; return 1; }
		log "$name: $(grep -a -o -E -- "$re" "$VM_LOG" | head -n 1 | tr -d '\r')"
	done
	vm_stop
	log "boot $name: passed (${VM_ELAPSED}s)"
	printf 'BOOT %s menu=%ss wizard=%ss\n' "$name" "$ISO_MENU_AT" "$WIZARD_AT"
}

# A USB stick is the ISO written raw: a qcow2 overlay of it, so what the
# guest writes to its RESCUE partition stays out of the built image.
qemu-img create -q -f qcow2 -F raw -b "$RESCUE_ISO" "$VM_DIR/stick.qcow2"

boot bios-cd bios cd "$RESCUE_ISO" 'rescue-init: BIOS boot' 'no RESCUE partition' || fails=$((fails + 1))
boot uefi-cd uefi cd "$RESCUE_ISO" 'UEFI boot, Secure Boot off' 'shell:INSIDE SB=0' || fails=$((fails + 1))
qemu-img create -q -f qcow2 -F raw -b "$RESCUE_ISO" "$VM_DIR/stick.qcow2"
boot secboot-usb secboot usb "$VM_DIR/stick.qcow2" \
	'UEFI boot, Secure Boot on, lockdown: [^[]*\[(integrity|confidentiality)\]' \
	'shell:INSIDE SB=1 LOCKDOWN=[^ ]*\[(integrity|confidentiality)\][^ ]* TAINTED=0 MODULES=4' \
	'RESCUE partition /dev/sd[a-z]3 mounted read-write' || fails=$((fails + 1))

[ "$fails" -eq 0 ] || die "$fails of 3 boots of the ISO failed"
echo "the ISO booted to the wizard 3 times: CD on SeaBIOS and OVMF, USB on OVMF with Secure Boot"
