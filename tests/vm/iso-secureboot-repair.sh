#!/bin/bash
# VM test iso-secureboot-repair: the rescue medium as a help desk uses it.
# The ISO, written to a USB stick with the B1 machine's LUKS key file in
# keys/<LUKS-UUID>.key and a rescue.conf saying rescue.auto=1 on its RESCUE
# partition, boots on OVMF with Secure
# Boot enforcing and 384 MiB of RAM (ISO_REPAIR_MEM; the medium's target:
# before the userland became a squashfs image inside the initramfs, 384
# MiB did not unpack it under OVMF, "Initramfs unpacking failed: write
# error"). Booted through the menu's wizard entry on the serial console, the
# wizard starts (before the disks have settled) and is closed again once
# rescue.conf is read; the unattended repair that follows (ISO_REPAIR_VIA=menu:
# the menu's "Unattended repair" entry instead, no rescue.conf)
# repairs catalogue scenario 2 on B1 (the default kernel's
# initramfs deleted; root on LVM on LUKS2): unlock under the kernel's
# lockdown with signed modules, LVM, mounts, chroot, dracut. Then the
# report and the journal are on the stick's RESCUE partition, and the
# target boots through its own GRUB to the marker.
# The broken image and its negative control are those of the scenario
# b1-02-missing-initramfs (shared cache).
# vm-cost: 860 (seconds measured under load average 11, broken image cached: ISO boot, repair with dracut and power off 646 s, target boot 200 s)
set -uo pipefail
. "$(dirname "$0")/lib/harness.sh"
. "$(dirname "$0")/lib/iso.sh"
. "$(dirname "$0")/lib/scenario.sh"
command -v mcopy >/dev/null && command -v jq >/dev/null || die "mtools and jq are needed (tools/install-deps.sh)"
vm_setup
rescue_iso
name=b1-02-missing-initramfs
scenario_load "$name"
log "broken image of $name (cached with its negative control)"
scenario_broken "$name" || die "no broken image for $name"
luuid=""
for kv in "${META[@]}"; do case $kv in LUUID=*) luuid=${kv#LUUID=} ;; esac; done
[ -n "$luuid" ] || die "the base image names no LUKS UUID (BASE-META LUUID)"

# The stick: the ISO written raw, then the key file dropped on its RESCUE
# partition as a help desk would (mtools, no mount needed).
stick=$VM_DIR/stick.img
cp --sparse=always "$RESCUE_ISO" "$stick"
off=$(iso_part_offset "$stick" 3) || die "the ISO has no third partition"
printf '%s' "$VM_PASS" > "$VM_DIR/key"
mcopy -i "$stick@@$off" "$VM_DIR/key" "::/keys/$luuid.key" || die "cannot write the key file to the RESCUE partition"
log "key file keys/$luuid.key on the RESCUE partition (offset $off)"
via=${ISO_REPAIR_VIA:-conf} entry=s
case $via in
conf)
	printf '# every boot of this stick repairs unattended\nrescue.auto=1\n' > "$VM_DIR/rescue.conf"
	mcopy -i "$stick@@$off" "$VM_DIR/rescue.conf" ::/rescue.conf || die "cannot write rescue.conf to the RESCUE partition"
	log "rescue.conf with rescue.auto=1 on the RESCUE partition" ;;
menu) entry=a ;;
*) die "ISO_REPAIR_VIA=$via: conf or menu" ;;
esac

work=$VM_DIR/work.qcow2
overlay "$BROKEN" "$work"
t0=$SECONDS
mem=${ISO_REPAIR_MEM:-384} fw=${ISO_REPAIR_FW:-secboot}
iso_boot repair "$mem" "$fw" usb "$stick" $entry $(vdisk "$work" qcow2 target) \
	|| { vm_keep_log "no boot menu"; die "no boot menu on the serial console"; }
log "boot menu after ${ISO_MENU_AT}s: '$entry' chosen"
vm_wait 1200 'RESCUE-AUTO-EXIT=[0-9]+' >/dev/null || { vm_keep_log "no RESCUE-AUTO-EXIT"; die "the unattended repair did not finish"; }
rc=$(tr -d '\r' < "$VM_LOG" | grep -a -o -E 'RESCUE-AUTO-EXIT=[0-9]+' | head -n 1 | cut -d= -f2)
vm_wait_exit 60 || true
vm_stop
T_REPAIR=$((SECONDS - t0))
[ "$rc" = 0 ] || { vm_keep_log "rescue --auto exited $rc"; die "the unattended repair exited $rc, expected 0"; }
log "unattended repair from the ISO: exit 0 after ${T_REPAIR}s (QEMU start to power off, $fw, $mem MiB)"
# With rescue.conf: the wizard came up first, then gave way.
conf_lines=()
[ "$via" = conf ] && conf_lines=('RESCUE-WIZARD-START tty=ttyS0 mode=wizard'
	'rescue.conf asks for an unattended repair \(rescue.auto\): closing the wizard')
sbre='UEFI boot, Secure Boot on, lockdown: [^[]*\[(integrity|confidentiality)\]'
[ "$fw" = secboot ] || sbre='rescue-init: (BIOS|UEFI) boot'
for re in "$sbre" \
	"key file for /dev/[a-z0-9]+: /run/rescue-medium/keys/$luuid.key" \
	'report: /run/rescue-medium/reports/rescue-[0-9-]+\.json on the RESCUE partition' \
	'repair journal .* copied to /run/rescue-medium/journals/' "${conf_lines[@]}"; do
	grep -a -q -E -- "$re" "$VM_LOG" || { vm_keep_log "the serial log lacks '$re'"; die "missing: $re"; }
	log "$(tr -d '\r' < "$VM_LOG" | grep -a -o -E -- "$re" | head -n 1)"
done
if grep -a -q -E 'Lockdown: .*(unsigned module|is restricted; see man kernel_lockdown.7)' "$VM_LOG"; then
	log "lockdown refused (allowed to fail): $(grep -a -o -E 'Lockdown: .*' "$VM_LOG" | tr -d '\r' | sort -u | paste -sd';')"
fi

# The report and the journal, read back from the stick.
mdir -b -i "$stick@@$off" ::/reports > "$VM_DIR/reports.txt" || die "cannot list reports/ on the RESCUE partition"
json=$(grep -E '\.json$' "$VM_DIR/reports.txt" | head -n 1)
[ -n "$json" ] || { cat "$VM_DIR/reports.txt" >&2; die "no report in reports/ on the RESCUE partition"; }
mcopy -i "$stick@@$off" "$json" "$VM_DIR/report.json" || die "cannot read $json"
jq -e '.schema == "rescue-report/2" and .exit_code == 0 and .dry_run == false and .after.errors == 0' "$VM_DIR/report.json" >/dev/null \
	|| { jq . "$VM_DIR/report.json" >&2; die "the report on the stick does not show a repair"; }
log "report on the stick: $json, outcome '$(jq -r .outcome "$VM_DIR/report.json")'"
grep -q -E '\.log$' "$VM_DIR/reports.txt" || die "no log beside the report"
mdir -/ -b -i "$stick@@$off" ::/journals > "$VM_DIR/journals.txt" 2>/dev/null
grep -q -E '/journals/[0-9-]+/.+' "$VM_DIR/journals.txt" || { cat "$VM_DIR/journals.txt" >&2; die "no journal copied to journals/"; }
log "journal files on the stick: $(grep -E '/journals/[0-9-]+/.+' "$VM_DIR/journals.txt" | sed 's|.*/journals/||' | paste -sd' ')"

boot_target positive "$work" 480 'Kernel panic' 'You are in emergency mode' \
	'Entering emergency mode' 'dracut Warning: Could not boot' 'Give root password'
[ "$BOOT_RESULT" = marker ] || { vm_keep_log "after the repair: $BOOT_RESULT ${BOOT_MATCH:-}"; die "the repaired target did not boot"; }
log "the repaired target reached the marker after ${BOOT_TIME}s"
printf 'TIMES iso-secureboot-repair repair=%ss positive=%ss\n' "$T_REPAIR" "$BOOT_TIME"
echo "repaired from the ISO ($fw, $mem MiB); report and journal on the RESCUE partition"
