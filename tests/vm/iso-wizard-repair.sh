#!/bin/bash
# VM test iso-wizard-repair: the repair wizard as a person at a serial
# console uses it. The ISO, written to a USB stick, boots on SeaBIOS with
# ISO_WIZARD_MEM MiB of RAM (default 384, the medium's target) and its
# "wizard on the serial console" menu entry; B1 with catalogue scenario 2
# (the default kernel's initramfs deleted; root on LVM on LUKS2) is
# attached. The serial stream is rendered by a tmux pane of 80x24 (a
# terminal, as a person's), read with capture-pane; keys go to the serial
# line. Welcome -> Systems (the install found) -> Unlock (the passphrase
# typed at the prompt) -> Mount -> Checks -> Diagnosis (initramfs-missing)
# -> Plan -> Apply (confirmed with y) -> Result "repaired" -> the report
# saved (to the stick's RESCUE partition) -> quit, which releases
# everything. Then: the passphrase appears nowhere in the serial log or on
# the stick, the report on the stick shows the repair, the repair
# journal's manifest was copied to the stick's journals/, and the target
# boots through its own GRUB to the marker.
# The broken image is that of the scenario b1-02-missing-initramfs (shared
# cache).
# vm-cost: 700 (seconds, estimated: ISO boot, unlock, checks, dracut in the guest, target boot)
set -uo pipefail
. "$(dirname "$0")/lib/harness.sh"
. "$(dirname "$0")/lib/iso.sh"
. "$(dirname "$0")/lib/scenario.sh"
. "$(dirname "$0")/lib/wizard.sh"
name=b1-02-missing-initramfs
# The stick, the overlay of the broken image, the tmux pane and its helpers.
wizard_setup iso-wizard-repair "$name"

t0=$SECONDS
mem=${ISO_WIZARD_MEM:-384}
iso_boot wizard "$mem" bios usb "$stick" s $(vdisk "$work" qcow2 target) \
	|| { vm_keep_log "no boot menu"; die "no boot menu on the serial console"; }
log "boot menu after ${ISO_MENU_AT}s: 's', the wizard on the serial console, chosen ($mem MiB)"
vm_wait 240 'RESCUE-WIZARD-START tty=ttyS0 mode=wizard' >/dev/null || { vm_keep_log "no wizard"; die "the wizard did not start on ttyS0"; }
at=$(grep -a -b -o 'RESCUE-WIZARD-START tty=ttyS0' "$VM_LOG" | head -n 1 | cut -d: -f1)
T new-session -d -s ser -x 80 -y 24 "tail -c +$((at + 1)) -f '$VM_LOG'"

wait_for "1/9 Welcome" 120
log "the wizard's first screen after $((SECONDS - VM_START))s"
key '\r'                                # Start
# Root is on LUKS: the scan shows the locked volume and no system yet.
wait_for "Go to Unlock" 300
shot 02-systems
grep -q "crypto_LUKS" "$VM_DIR/screen.txt" || { cat "$VM_DIR/screen.txt"; die "the Systems screen does not show the LUKS volume"; }
key '\r'                                # to Unlock
wait_for "3/9 Unlock"
shot 03-unlock
key '\r'                                # unlock
wait_for "Passphrase:" 120
shot 03-passphrase
key "$VM_PASS"
key '\r'
log "passphrase typed"
# Argon2 in a TCG guest, then LVM; with the only install found, the
# wizard goes on to Mount.
wait_for "4/9 Mount" 600
shot 04-unlocked
grep -q "Unlocked" "$VM_DIR/screen.txt" || { cat "$VM_DIR/screen.txt"; die "no 'Unlocked.' after the passphrase"; }
shot 05-mount
key '\r'                                # mount read-only and check
wait_for "5/9 Checks" 600
shot 06-checks
key '\t'
wait_for "6/9 Diagnosis"
shot 07-diagnosis
grep -q "initramfs-missing" "$VM_DIR/screen.txt" || { cat "$VM_DIR/screen.txt"; die "the diagnosis lacks initramfs-missing"; }
key '\t'
wait_for "7/9 Plan"
shot 08-plan
key a
wait_for "Apply the plan"
key y
log "plan accepted: applying"
# Mounting read-write may ask about a journal replay; yes.
for ((i = 0; i < 1800; i++)); do
	screen
	grep -q "9/9 Result" "$VM_DIR/screen.txt" && break
	grep -q "replays its journal" "$VM_DIR/screen.txt" && key y
	vm_alive || break
	sleep 1
done
wait_for "Outcome: " 60
shot 09-result
cat "$VM_DIR/09-result.txt"
grep -q "Outcome: repaired" "$VM_DIR/screen.txt" || { vm_keep_log "not repaired"; die "the outcome is not 'repaired'"; }
log "applied and verified: repaired ($((SECONDS - t0))s from QEMU's start)"
key s                                   # save the report
wait_for "rescue-medium|reports" 30
key '\r'
wait_for "saved|Saved" 60
shot 10-saved
key q
wait_for "Quit the wizard"
key y
vm_wait 180 'The wizard ended' >/dev/null || { vm_keep_log "no end"; die "the wizard did not end after quit"; }
log "quit: the wizard released everything and ended"
vm_stop

if grep -a -q -F -- "$VM_PASS" "$VM_LOG"; then
	vm_keep_log "the passphrase is in the serial log"
	die "the typed passphrase appears in the serial log"
fi
mdir -/ -b -i "$stick@@$off" :: > "$VM_DIR/stick.txt" || die "cannot list the RESCUE partition"
json=$(grep -E '/reports/.*\.json$' "$VM_DIR/stick.txt" | head -n 1)
[ -n "$json" ] || { cat "$VM_DIR/stick.txt" >&2; die "no report on the RESCUE partition"; }
mcopy -n -i "$stick@@$off" "$json" "$VM_DIR/report.json" || die "cannot read $json"
jq -e '.schema == "rescue-report/2" and .dry_run == false and .after.errors == 0' "$VM_DIR/report.json" > /dev/null \
	|| { jq . "$VM_DIR/report.json" >&2; die "the report on the stick does not show a repair"; }
while read -r f; do
	mcopy -n -i "$stick@@$off" "$f" "$VM_DIR/from-stick" 2>/dev/null || continue
	grep -a -q -F -- "$VM_PASS" "$VM_DIR/from-stick" && die "the passphrase is in $f on the stick"
done < <(grep -E '^::/.+[^/]$' "$VM_DIR/stick.txt")
log "report on the stick: $json, outcome '$(jq -r .outcome "$VM_DIR/report.json")'; the passphrase in no file there"
# The wizard copied the repair journal's record to journals/ (the wizard
# started before the stick was mounted: what it writes there shows it saw
# the mount all the same).
jm=$(grep -E '^::/journals/[0-9.-]+/manifest$' "$VM_DIR/stick.txt" | head -n 1)
[ -n "$jm" ] || { cat "$VM_DIR/stick.txt" >&2; die "no copy of the repair journal in journals/ on the RESCUE partition"; }
mcopy -n -i "$stick@@$off" "$jm" "$VM_DIR/manifest" || die "cannot read $jm"
[ -s "$VM_DIR/manifest" ] || die "$jm on the stick is empty"
log "journal on the stick: ${jm%/manifest} ($(wc -l < "$VM_DIR/manifest") manifest lines)"

boot_target positive "$work" 480 'Kernel panic' 'You are in emergency mode' \
	'Entering emergency mode' 'dracut Warning: Could not boot' 'Give root password'
[ "$BOOT_RESULT" = marker ] || { vm_keep_log "after the repair: $BOOT_RESULT ${BOOT_MATCH:-}"; die "the repaired target did not boot"; }
log "the repaired target reached the marker after ${BOOT_TIME}s"
echo "repaired through the wizard on the serial console ($mem MiB, SeaBIOS); the target boots"
