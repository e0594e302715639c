# The rescue step of a VM scenario (runs in the rescue environment): the
# product, 'rescue --auto', on the broken target, with the evidence the
# host checks afterwards written to the disk with serial "out" (a tar):
#   before, after          manifests of /boot and the boot files of /etc
#   changes                what the repair added, modified, deleted
#   dry.txt dry.rc dry-report.json   'rescue --auto --dry-run' and proof
#                          that it wrote nothing (the disk's sector count)
#   auto.txt auto.rc report.json     'rescue --auto'
#   journal/               the repair journal rescue left on the target
#   undo.txt undo-changes  with UNDO_CHECK=1: 'rescue undo' after the
#                          repair and what differs from before (nothing;
#                          the disk's first MiB is compared too). The
#                          host first freezes the repaired disk (a live
#                          QEMU snapshot, asked for on the console with
#                          @@SNAPSHOT-REQUEST, answered on it), so the
#                          positive boot starts from the repair itself and
#                          the undo's writes go to a throw-away overlay
#   first-mib              the SHA-256 of the disk's first MiB before the
#                          repair (and after undo)
#   efivars-before, -after, -undone   booted through UEFI: a SHA-256 per
#                          boot variable (Boot####, BootOrder) before the
#                          repair, after it and after undo (= before)
# The exit status is that of 'rescue --auto'; 1 when a check failed.
set -uo pipefail
. ./guest.sh
. ./guest-rescue.sh
. ./params
bad() { echo "AUTO-JOB FAILED: $*" >&2; job_exit 1; }
# efivars_manifest: the firmware's boot entries and order (booted through
# UEFI), a SHA-256 per variable file: undo must give them back too.
efivars_manifest() {
	local d=/sys/firmware/efi/efivars f
	[ -d "$d" ] || return 0
	# The rescue medium leaves the mount to its first reader.
	mountpoint -q "$d" || mount -t efivarfs efivarfs "$d" || return 0
	for f in "$d"/Boot[0-9A-F][0-9A-F][0-9A-F][0-9A-F]-* "$d"/BootOrder-*; do
		[ -e "$f" ] && echo "$(sha256sum < "$f" | cut -c1-64) $(basename "$f")"
	done
	return 0
}

disk=$(disk_by_serial target) || bad "no target disk"
# The key file holds the passphrase bytes exactly, no newline (as
# cryptsetup's --key-file reads them). AUTO_KEY: a wrong one for
# scenario 8.
umask 077
printf '%s' "${AUTO_KEY:-$PASS}" > /tmp/key

step "manifest before (rescue unlock, rescue mount read-only)"
sys_open || bad "rescue unlock/mount of the broken system failed"
manifest "$OUT/before"
step "manifest written"
sys_close || bad "rescue umount left something behind"

step "rescue --auto --dry-run"
w0=$(sectors_written "$disk")
rescue --auto --key-file /tmp/key --dry-run --report "$OUT/dry-report.json" > "$OUT/dry.txt" 2>&1
echo $? > "$OUT/dry.rc"
cat "$OUT/dry.txt"
w1=$(sectors_written "$disk")
echo "dry run: exit $(cat "$OUT/dry.rc"), $((w1 - w0)) sectors written to $disk"
[ "$w1" = "$w0" ] || bad "the dry run wrote $((w1 - w0)) sectors to $disk"
assert_released || bad "rescue --auto --dry-run left something behind"

# The disk's first MiB (boot code, partition table, the gap GRUB's core
# sits in): undo must give it back too.
mib_before=$(head -c 1048576 "$disk" | sha256sum | cut -c1-64)
echo "first MiB of $disk before the repair: sha256 $mib_before" | tee "$OUT/first-mib"
efivars_manifest > "$OUT/efivars-before"

step "rescue --auto"
t0=$SECONDS
rescue --explain --auto --key-file /tmp/key --report "$OUT/report.json" > "$OUT/auto.txt" 2>&1
rc=$?
echo "$rc" > "$OUT/auto.rc"
echo "$((SECONDS - t0))" > "$OUT/auto.seconds"
cat "$OUT/auto.txt"
echo "rescue --auto: exit $rc after $((SECONDS - t0)) s"
assert_released || bad "rescue --auto left something behind"
efivars_manifest > "$OUT/efivars-after"
if [ -s "$OUT/efivars-before" ] && ! cmp -s "$OUT/efivars-before" "$OUT/efivars-after"; then
	echo "the firmware's boot variables rescue --auto changed (- before, + after):"
	diff "$OUT/efivars-before" "$OUT/efivars-after" | grep '^[<>]' | sed 's/^</  -/; s/^>/  +/'
fi

step "manifest after"
sys_open || bad "rescue unlock/mount after the repair failed"
manifest "$OUT/after"
step "manifest written"
if [ -d "$ROOT/var/lib/rescue/journal" ]; then
	j=$(ls -d "$ROOT"/var/lib/rescue/journal/*/ 2>/dev/null | sort | tail -n 1)
	[ -n "$j" ] && mkdir -p "$OUT/journal" && cp "$j"manifest "$j"log "$OUT/journal/" 2>/dev/null
fi
sys_close || bad "rescue umount left something behind"
changes "$OUT/before" "$OUT/after" > "$OUT/changes"
echo "changed by rescue --auto:"
cat "$OUT/changes"

if [ "${UNDO_CHECK:-0}" = 1 ] && [ "$rc" = 0 ]; then
	# Everything is unmounted and closed; what the repair wrote is on the
	# disk. The host snapshots it (tests/vm/lib/harness.sh, run_job) and
	# answers on the console; from then on writes go to a new overlay.
	sync
	step "the repaired disk frozen by the host (live snapshot) before undo"
	echo "@@SNAPSHOT-REQUEST"
	reply=""
	read -r -t 600 reply < /dev/ttyS0
	[ "$reply" = snapshot-taken ] || bad "the host did not snapshot the repaired disk (answer '$reply')"
	step "rescue undo"
	sys_open --rw || bad "rescue mount --rw for undo failed"
	rescue undo --target "$ROOT" > "$OUT/undo.txt" 2>&1
	urc=$?
	cat "$OUT/undo.txt"
	manifest "$OUT/undone"
	sys_close || bad "rescue umount after undo left something behind"
	[ "$urc" = 0 ] || bad "rescue undo exited $urc"
	changes "$OUT/before" "$OUT/undone" > "$OUT/undo-changes"
	if [ -s "$OUT/undo-changes" ]; then
		cat "$OUT/undo-changes"
		bad "after rescue undo these files differ from before the repair"
	fi
	echo "rescue undo restored every file byte for byte (manifests equal)"
	mib_undone=$(head -c 1048576 "$disk" | sha256sum | cut -c1-64)
	echo "first MiB of $disk after undo: sha256 $mib_undone" | tee -a "$OUT/first-mib"
	[ "$mib_undone" = "$mib_before" ] || bad "after rescue undo the disk's first MiB differs from before the repair"
	echo "rescue undo restored the disk's first MiB byte for byte"
	if [ -s "$OUT/efivars-before" ]; then
		efivars_manifest > "$OUT/efivars-undone"
		if ! cmp -s "$OUT/efivars-before" "$OUT/efivars-undone"; then
			diff "$OUT/efivars-before" "$OUT/efivars-undone"
			bad "after rescue undo the firmware's boot variables differ from before the repair"
		fi
		echo "rescue undo restored the firmware's boot variables byte for byte ($(wc -l < "$OUT/efivars-before") variables)"
	fi
fi
job_exit "$rc"
