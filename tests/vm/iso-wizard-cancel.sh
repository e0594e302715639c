#!/bin/bash
# VM test iso-wizard-cancel: the repair wizard on a 9600 baud serial
# console, a repair cancelled while the generator runs, then the same
# repair to the end, in one boot of the medium. The ISO, written to a USB
# stick, boots on OVMF (UEFI) with ISO_WIZARD_MEM MiB of RAM (default 384,
# the medium's target; with the userland unpacked into RAM, before it
# became a squashfs image, OVMF needed 512);
# B2 with catalogue scenario 2 (initramfs-tools, plain ext4 root, the
# default kernel's initramfs deleted) is attached.
#  - Line speed: at the boot menu on the serial port, b (serial speed) then
#    9 (9600 baud), then s (the wizard on ttyS0): the kernel's console and
#    the wizard's line run at 9600, as the Welcome screen reads it from the
#    line itself ("at 9600 baud"). QEMU's serial port does not pace bytes
#    to the line speed, so this proves the setting end to end (menu, kernel
#    command line, the tty the wizard draws on), not the wizard's speed on a
#    slow line.
#  - Welcome -> Systems -> Mount -> Checks -> Diagnosis (initramfs-missing)
#    -> Plan; from Result (reached with Tab: nothing applied yet) a shell in
#    the mounted system lists /boot with the sha256 of every file.
#  - Apply (confirmed with y); once update-initramfs prints its first line
#    in the output pane, c cancels. The wizard must say so ("Outcome:
#    cancelled", the step "interrupted ... restored"); a shell from Result
#    then lists /boot again: the same files with the same sha256 (no new
#    image, no temporary file beside it), no mkinitramfs work files left in
#    /var/tmp, no device-mapper device, and no mount point mounted twice
#    among the chroot's API file systems (nothing of the cancelled chroot
#    left over: the shell's own chroot mounts each once).
#  - Back to Plan, apply again: "Outcome: repaired"; the report saved to the
#    stick's RESCUE partition shows it (and no error left from the
#    cancelled attempt); quit; in the shell init starts after
#    the wizard, nothing of the target disk is mounted and nothing mapped.
#  - B2 then boots through its own GRUB (OVMF) to the marker.
# The broken image is that of the scenario b2-02-missing-initramfs (shared
# cache).
# vm-cost: 450 (seconds, measured 357-510 under load with the ISO built and the broken image cached: ISO boot, checks, update-initramfs cancelled then run whole in the guest, target boot)
set -uo pipefail
. "$(dirname "$0")/lib/harness.sh"
. "$(dirname "$0")/lib/iso.sh"
. "$(dirname "$0")/lib/scenario.sh"
. "$(dirname "$0")/lib/wizard.sh"
name=b2-02-missing-initramfs
# The stick, the overlay of the broken image, the tmux pane and its helpers.
wizard_setup iso-wizard-cancel "$name"
# in_log REGEX SECONDS WHY: wait for the serial log to show REGEX.
in_log() { vm_wait "$2" "$1" >/dev/null || { vm_keep_log "$3"; die "$3"; }; }
# block NAME: the lines a shell printed between @@NAME-BEGIN and @@NAME-END
# (the typed command line itself never matches: it has the marker in two
# quoted halves).
block() { tr -d '\r' < "$VM_LOG" | sed -n "/^@@$1-BEGIN\$/,/^@@$1-END\$/p" | sed '1d;$d'; }
# result_shell NAME COMMANDS: from Result, a shell in the mounted system
# runs COMMANDS (their output into block NAME); back in the wizard after.
result_shell() {
	local n
	n=$(grep -a -c "'exit' returns to the wizard" "$VM_LOG")
	key '!'
	for ((i = 0; i < 60; i++)); do
		[ "$(grep -a -c "'exit' returns to the wizard" "$VM_LOG")" -gt "$n" ] && break
		sleep 0.5
	done
	sleep 1
	key "echo '@@$1-''BEGIN'; $2; echo '@@$1-''END'\r"
	in_log "^@@$1-END" 120 "the shell in the mounted system did not finish $1"
	key 'exit\r'
	# Keys typed before the wizard took the line back would go to the shell.
	sleep 3
	wait_for "9/9 Result" 60
}
BOOT_LIST='cd /boot && find . -xdev -path ./lost+found -prune -o -type f -print | LC_ALL=C sort | xargs sha256sum; cd /'

t0=$SECONDS
mem=${ISO_WIZARD_MEM:-384}
# b: the serial speed menu; 9: 9600 baud (the menu comes back at that
# speed); s: the wizard on ttyS0, now at 9600.
iso_boot wizard-9600 "$mem" uefi usb "$stick" b $(vdisk "$work" qcow2 target) \
	|| { vm_keep_log "no boot menu"; die "no boot menu on the serial console"; }
in_log '9600 baud \(9\)' 30 "no serial speed menu after b"
sleep 0.5
key 9
in_log 'ttyS0, 9600 baud \(s\)' 30 "the boot menu did not come back at 9600 baud"
sleep 0.5
key s
log "boot menu after ${ISO_MENU_AT}s: b 9 (9600 baud) s (the wizard on ttyS0) ($mem MiB, OVMF)"
vm_wait 240 'RESCUE-WIZARD-START tty=ttyS0 mode=wizard' >/dev/null || { vm_keep_log "no wizard"; die "the wizard did not start on ttyS0"; }
tr -d '\r' < "$VM_LOG" | grep -a -q 'Command line:.*console=ttyS0,9600' \
	&& log "the kernel's command line has console=ttyS0,9600"
at=$(grep -a -b -o 'RESCUE-WIZARD-START tty=ttyS0' "$VM_LOG" | head -n 1 | cut -d: -f1)
T new-session -d -s ser -x 80 -y 24 "tail -c +$((at + 1)) -f '$VM_LOG'"

wait_for "1/9 Welcome" 120
# The screen is drawn over the serial line from the top down: a capture
# right after the title line can hold only its upper half. The console
# line is near its end, so it is waited for (it fails if never drawn).
wait_for "ttyS0 at 9600 baud" 30
shot 01-welcome
log "the wizard's first screen after $((SECONDS - VM_START))s: serial console ttyS0 at 9600 baud"
key '\r'
wait_for "debian-12" 300
shot 02-systems
key '\r'
wait_for "3/9 Unlock"
key '\r'
wait_for "4/9 Mount" 120
key '\r'
wait_for "5/9 Checks" 600
key '\t'
wait_for "6/9 Diagnosis"
shot 06-diagnosis
grep -q "initramfs-missing" "$VM_DIR/screen.txt" || { cat "$VM_DIR/screen.txt"; die "the diagnosis lacks initramfs-missing"; }
key '\t'
wait_for "7/9 Plan"
shot 07-plan
# Nothing applied yet: Result offers the shell into the mounted system.
key '\t'
key '\t'
wait_for "9/9 Result"
result_shell BEFORE "$BOOT_LIST"
block BEFORE > "$VM_DIR/boot-before.txt"
[ -s "$VM_DIR/boot-before.txt" ] && grep -q vmlinuz "$VM_DIR/boot-before.txt" \
	|| { cat "$VM_DIR/boot-before.txt"; die "no listing of /boot before the repair"; }
grep -q initrd.img "$VM_DIR/boot-before.txt" && die "the broken system has an initramfs in /boot"
log "/boot before: $(wc -l < "$VM_DIR/boot-before.txt") files"
key '\033'
key '\033'
wait_for "7/9 Plan"

# Apply, and cancel while update-initramfs runs.
key a
wait_for "Apply the plan"
key y
wait_for "8/9 Apply" 120
for ((i = 0; i < 600; i++)); do
	screen
	grep -q "update-initramfs" "$VM_DIR/screen.txt" && grep -q "Output:" "$VM_DIR/screen.txt" && break
	grep -q "replays its journal" "$VM_DIR/screen.txt" && key y
	vm_alive || break
	sleep 0.5
done
grep -q "Output:" "$VM_DIR/screen.txt" || { cat "$VM_DIR/screen.txt"; die "update-initramfs never showed output"; }
sleep 3
shot 08-apply
key c
tc=$SECONDS
log "c pressed while update-initramfs ran"
wait_for "9/9 Result" 300
wait_for "Outcome: " 60
shot 09-cancelled
cat "$VM_DIR/09-cancelled.txt"
grep -q "Outcome: cancelled" "$VM_DIR/screen.txt" || die "the outcome after c is not 'cancelled'"
grep -q "interrupted" "$VM_DIR/screen.txt" || die "the Result does not say the step was interrupted"
log "cancelled: the Result says so $((SECONDS - tc))s after c"
result_shell CANCELLED "$BOOT_LIST; echo '@@CANCELLED-''VARTMP'; ls -a /var/tmp; echo '@@CANCELLED-''DM'; ls /sys/block; echo '@@CANCELLED-''DUP'; awk '{print \$5}' /proc/self/mountinfo | sort | uniq -d | grep -E '^/(proc|sys|dev|run|tmp|var/tmp)(/|\$)'"
block CANCELLED > "$VM_DIR/cancelled.txt"
sed -n '1,/^@@CANCELLED-VARTMP$/p' "$VM_DIR/cancelled.txt" | sed '$d' > "$VM_DIR/boot-cancelled.txt"
if ! diff -u "$VM_DIR/boot-before.txt" "$VM_DIR/boot-cancelled.txt"; then
	die "/boot after the cancel differs from before: not rolled back"
fi
vartmp=$(sed -n '/^@@CANCELLED-VARTMP$/,/^@@CANCELLED-DM$/p' "$VM_DIR/cancelled.txt" | grep -E 'mkinitramfs' || true)
[ -z "$vartmp" ] || die "mkinitramfs work files left in /var/tmp after the cancel: $vartmp"
dm=$(sed -n '/^@@CANCELLED-DM$/,/^@@CANCELLED-DUP$/p' "$VM_DIR/cancelled.txt" | grep -E '^dm-' || true)
[ -z "$dm" ] || die "device-mapper devices after the cancel: $dm"
dup=$(sed -n '/^@@CANCELLED-DUP$/,$p' "$VM_DIR/cancelled.txt" | sed 1d)
[ -z "$dup" ] || die "mounted twice after the cancel (a chroot mount left over): $dup"
log "rolled back: /boot's $(wc -l < "$VM_DIR/boot-cancelled.txt") files as before (sha256), no temporary files, nothing mapped, no mount left over"

# The same plan again, to the end.
key '\033'
key '\033'
wait_for "7/9 Plan"
key a
wait_for "Apply the plan"
key y
log "applying again"
for ((i = 0; i < 1800; i++)); do
	screen
	grep -q "9/9 Result" "$VM_DIR/screen.txt" && break
	grep -q "replays its journal" "$VM_DIR/screen.txt" && key y
	vm_alive || break
	sleep 1
done
wait_for "Outcome: " 60
shot 10-result
cat "$VM_DIR/10-result.txt"
grep -q "Outcome: repaired" "$VM_DIR/screen.txt" || { vm_keep_log "not repaired"; die "the second apply's outcome is not 'repaired'"; }
log "applied again and verified: repaired ($((SECONDS - t0))s from QEMU's start)"
key s
wait_for "rescue-medium|reports" 30
key '\r'
wait_for "saved|Saved" 60
key q
wait_for "Quit the wizard"
key y
in_log 'The wizard ended' 180 "the wizard did not end after quit"
sleep 2
key "echo '@@REL-''BEGIN'; grep -E '^/dev/(vd|dm-|mapper)' /proc/mounts; ls /dev/mapper; echo '@@REL-''END'\r"
# Once, in a full make check, the answer had not come 60 s after the
# command (cause not found): 180 s before calling the shell hung.
in_log '^@@REL-END' 180 "the shell after the wizard did not answer"
block REL > "$VM_DIR/released.txt"
left=$(grep -v -x control "$VM_DIR/released.txt" || true)
[ -z "$left" ] || die "after quitting, still mounted or mapped: $left"
log "quit: nothing of the target mounted or mapped"
vm_stop

mdir -/ -b -i "$stick@@$off" :: > "$VM_DIR/stick.txt" || die "cannot list the RESCUE partition"
json=$(grep -E '/reports/.*\.json$' "$VM_DIR/stick.txt" | head -n 1)
[ -n "$json" ] || { cat "$VM_DIR/stick.txt" >&2; die "no report on the RESCUE partition"; }
mcopy -n -i "$stick@@$off" "$json" "$VM_DIR/report.json" || die "cannot read $json"
jq -e '.schema == "rescue-report/2" and .dry_run == false and .outcome == "repaired" and .after.errors == 0 and (has("error") | not)' "$VM_DIR/report.json" > /dev/null \
	|| { jq . "$VM_DIR/report.json" >&2; die "the report on the stick does not show the repair"; }
log "report on the stick: $json, outcome '$(jq -r .outcome "$VM_DIR/report.json")'"

boot_target positive "$work" 480 'Kernel panic' 'You are in emergency mode' \
	'Entering emergency mode' 'Give root password' 'ALERT!'
[ "$BOOT_RESULT" = marker ] || { vm_keep_log "after the repair: $BOOT_RESULT ${BOOT_MATCH:-}"; die "the repaired target did not boot"; }
log "the repaired target reached the marker after ${BOOT_TIME}s"
echo "cancelled and rolled back, then repaired through the wizard at 9600 baud ($mem MiB, OVMF) in $((SECONDS - t0))s; the target boots"
