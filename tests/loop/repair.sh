#!/bin/bash
# rescue fix / undo on copies of the demo disk (a real Debian 12 install),
# with the install's own dracut run in a chroot on this host:
#  - catalogue 2: the initramfs is missing: --dry-run changes nothing; fix
#    rebuilds it for the install's kernel, verifies it, leaves the working
#    boot menu alone; diagnose finds nothing after; undo restores the
#    journaled state byte for byte;
#  - catalogue 3: /boot too full and the image broken: fix moves only
#    unused files (listed) into the journal, never the kernel, then rebuilds;
#  - fault injection: the generator dies mid-run: the previous image is put
#    back byte for byte and the exit code says the repair failed;
#  - SIGTERM while the generator runs: it and what it started are stopped,
#    the previous image is put back, nothing stays mounted, exit 15.
. "$(dirname "$0")/../lib/testlib.sh"
need_root
need_cmd jq sfdisk
img=$("$RESCUE_SRC/tests/lib/demo-disk.sh")
tmpdir; w=$REPLY
export RESCUE_STATE_DIR=$w/state

boot_sums() { (cd $m/boot && find . -type f ! -path './lost+found/*' | sort | xargs sha256sum); }

# --- catalogue 2 ---
cp --sparse=always "$img" $w/a.img
open_img $w/a.img
rm $m/boot/initrd.img-$K
boot_sums > $w/before.sums
test_release
sum=$(sha256sum < $w/a.img)
set +e; "$RESCUE" fix --dry-run --image $w/a.img > $w/plan.sh; rc=$?; set -e
cat $w/plan.sh
[ $rc -eq 20 ] || fail "dry run: expected 20 (something to repair), got $rc"
grep -q "^chroot \"\$R\" dracut --force --kver $K /boot/initrd.img-$K$" $w/plan.sh || fail "plan lacks the rebuild command"
sh -n $w/plan.sh || fail "the dry-run script is not valid shell"
[ "$sum" = "$(sha256sum < $w/a.img)" ] || fail "--dry-run changed the disk"
echo "ok: --dry-run prints a valid script naming the kernel, and changes nothing"

set +e; "$RESCUE" fix --yes --image $w/a.img --json > $w/fix.json; rc=$?; set -e
jq -c '.plan.actions[] | {kind, status, result}' $w/fix.json
[ $rc -eq 0 ] || fail "fix: expected 0 (repaired), got $rc"
[ "$(jq -r '.after.errors' $w/fix.json)" = 0 ] || fail "errors remain after the repair"
[ "$(jq -r '.plan.actions[] | select(.kind=="grub-config") | .status' $w/fix.json)" = skipped ] \
	|| fail "the working boot menu was rewritten"
echo "ok: repaired; verified; the boot menu left alone"
open_img $w/a.img
"$RESCUE" initramfs verify $m/boot/initrd.img-$K --root $m --kver $K > $w/verify.txt || { cat $w/verify.txt; fail "the rebuilt image does not verify"; }
# Captured first: grep -q on a pipe would kill the writer with SIGPIPE.
"$RESCUE" initramfs ls --plain $m/boot/initrd.img-$K > $w/list.txt
grep -q "usr/lib/modules/$K/" $w/list.txt || fail "the image is not built for $K"
J=$(jq -r '.plan.journal' $w/fix.json)
grep -q "^new /boot/initrd.img-$K$" $m$J/manifest || fail "journal manifest lacks the new image"
grep -q "dracut" $m$J/log || fail "the generator's output is not logged"
test_release
echo "ok: the new image verifies for kernel $K; the journal names it and logs the generator"
"$RESCUE" undo --image $w/a.img
open_img $w/a.img
boot_sums > $w/after-undo.sums
diff $w/before.sums $w/after-undo.sums || fail "undo did not restore /boot byte for byte"
test_release
echo "ok: undo restores /boot byte for byte"

# --- catalogue 3: /boot too full, the image truncated ---
cp --sparse=always "$img" $w/b.img
open_img $w/b.img
truncate -s 1M $m/boot/initrd.img-$K
head -c 5M /dev/urandom > $m/boot/initrd.img-5.10.0-9-amd64     # a kernel long gone
avail=$(df -B1 --output=avail $m/boot | tail -n 1)
fallocate -l $((avail - 20 * 1024 * 1024)) $m/boot/vmlinuz-$K.bak
ksum=$(sha256sum < $m/boot/vmlinuz-$K)
test_release
set +e; "$RESCUE" fix --yes --image $w/b.img --json > $w/fix.json; rc=$?; set -e
jq -c '.plan.actions[] | {kind, status, files, result}' $w/fix.json
[ $rc -eq 0 ] || fail "full /boot: expected 0, got $rc"
[ "$(jq -r '.plan.actions[0].kind' $w/fix.json)" = free-space ] || fail "space was not freed first"
jq -r '.plan.actions[0].files[]' $w/fix.json | sort > $w/moved
printf '/boot/initrd.img-5.10.0-9-amd64\n/boot/vmlinuz-%s.bak\n' $K | sort | diff - $w/moved || fail "moved files differ from the unused ones"
open_img $w/b.img
[ "$ksum" = "$(sha256sum < $m/boot/vmlinuz-$K)" ] || fail "the kernel itself was touched"
J=$(jq -r '.plan.journal' $w/fix.json)
[ -s "$m$J/1" ] && [ -s "$m$J/2" ] || fail "moved files are not kept in the journal"
test_release
echo "ok: only unused files moved (kept in the journal), the kernel untouched, image rebuilt"

# --- fault injection: the generator dies mid-run ---
cp --sparse=always "$img" $w/c.img
open_img $w/c.img
truncate -s 2M $m/boot/initrd.img-$K
broken=$(sha256sum < $m/boot/initrd.img-$K)
# A stand-in for dracut that starts writing its image and is killed: this
# test is about what rescue does when a generator dies, not about dracut.
mv $m/usr/bin/dracut $m/usr/bin/dracut.real
printf '#!/bin/sh\nfor a; do out=$a; done\nhead -c 12345 /dev/urandom > /boot/initrd.img-%s\nkill -9 $$\n' $K > $m/usr/bin/dracut
chmod +x $m/usr/bin/dracut
test_release
set +e; "$RESCUE" fix --yes --image $w/c.img --json > $w/fix.json; rc=$?; set -e
jq -c '.plan.actions[] | {kind, status, result}' $w/fix.json
[ $rc -eq 24 ] || fail "killed generator: expected 24 (failed), got $rc"
open_img $w/c.img
[ "$broken" = "$(sha256sum < $m/boot/initrd.img-$K)" ] || fail "the previous image was not put back"
test_release
echo "ok: a generator killed mid-run: the previous image is back byte for byte, exit 24"

# --- SIGTERM while the generator runs ---
cp --sparse=always "$img" $w/d.img
open_img $w/d.img
truncate -s 2M $m/boot/initrd.img-$K
broken=$(sha256sum < $m/boot/initrd.img-$K)
# A stand-in that writes part of an image, starts a process of its own in
# the background and works on: all of it must stop on the signal.
mv $m/usr/bin/dracut $m/usr/bin/dracut.real
printf '#!/bin/sh\nhead -c 12345 /dev/urandom > /boot/initrd.img-%s\nsleep 3217 &\nsleep 3218\n' $K > $m/usr/bin/dracut
chmod +x $m/usr/bin/dracut
test_release
set +e
"$RESCUE" fix --yes --image $w/d.img > $w/term.txt 2>&1 &
pid=$!
for _ in $(seq 600); do pgrep -f '^sleep 3218' > /dev/null && break; sleep 0.1; done
pgrep -f '^sleep 3217' > /dev/null || { cat $w/term.txt; fail "SIGTERM: the stand-in generator was not seen running"; }
t0=$(date +%s%N)
kill -TERM $pid
wait $pid; rc=$?
set -e
took=$((($(date +%s%N) - t0) / 1000000))
cat $w/term.txt
[ $rc -eq 15 ] || fail "SIGTERM: expected 15 (cancelled), got $rc"
if pgrep -f '^sleep 321[78]' > /dev/null; then pkill -f '^sleep 321[78]'; fail "SIGTERM: the generator or its child was left running"; fi
grep -q 'interrupted while dracut ran; the previous state was restored' $w/term.txt || fail "SIGTERM: the step is not reported rolled back"
losetup -a | grep -q "$w/d.img" && fail "SIGTERM: a loop device of the image is left"
open_img $w/d.img
[ "$broken" = "$(sha256sum < $m/boot/initrd.img-$K)" ] || fail "SIGTERM: the previous image was not put back"
grep -q '^complete' $m/var/lib/rescue/journal/*/state || fail "SIGTERM: the journal is not marked complete"
test_release
echo "ok: SIGTERM while the generator runs: stopped with its child in ${took} ms, the previous image back, exit 15"
