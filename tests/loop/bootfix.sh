#!/bin/bash
# GRUB for BIOS reinstalled by `rescue fix` on copies of the demo disk (a
# real Debian 12 install on an MBR disk), with the install's own
# grub-install run in a chroot on this host:
#  - setup: the install's grub-install puts GRUB on the disk (the demo disk
#    carries none), and diagnose finds nothing wrong with it;
#  - the boot code in sector 0 zeroed: diagnose finds it (the negative
#    control: the break is seen, and nothing but a repair clears it); the
#    dry run names the disk and why, and changes nothing; `fix --yes` runs
#    the real grub-install, the boot code and core read right again (and
#    diagnose finds nothing); `undo` gives back the broken first MiB and
#    GRUB's files byte for byte;
#  - a grub-install that writes GRUB's boot sector but no core, and exits
#    0: the read-back catches it, the disk's first MiB and GRUB's files are
#    rolled back byte for byte, exit 24;
#  - GRUB's core damaged in the gap (its boot sector intact): diagnose
#    finds grub-core-damaged, `fix --yes` reinstalls, undo gives back the
#    damaged bytes.
# grub-install sees /boot on a loop device of its own here (this kernel has
# no partitions), not as a partition of the disk, so the core it makes
# finds /boot by UUID; on a real disk it names the partition.
. "$(dirname "$0")/../lib/testlib.sh"
need_root
need_cmd jq sfdisk
img=$("$RESCUE_SRC/tests/lib/demo-disk.sh")
tmpdir; w=$REPLY
export RESCUE_STATE_DIR=$w/state

mib() { head -c 1048576 "$1" | sha256sum | cut -c1-64; }
grub_sums() { (cd $m/boot/grub && find . -type f | LC_ALL=C sort | xargs sha256sum); }

# --- setup: a real GRUB install on the copy ---
cp --sparse=always "$img" $w/a.img
loop_file $w/a.img; disk=$REPLY
open_img $w/a.img
for fs in dev proc sys; do mount --rbind /$fs $m/$fs; _test_mounts+=("$m/$fs"); done
chroot $m grub-install --target=i386-pc --boot-directory=/boot $disk > $w/setup.log 2>&1 || { cat $w/setup.log; fail "setup: grub-install failed"; }
test_release
[ "$(head -c 2 $w/a.img | od -An -tx1 | tr -d ' ')" = eb63 ] || fail "setup: no GRUB boot code in sector 0"
"$RESCUE" diagnose --image $w/a.img --json > $w/good.json || true
assert_jq $w/good.json '[.findings[] | select(.code | test("bios|grub-core|grub-prefix"))] | length' 0 "setup: BIOS findings on a fresh install"
good=$(mib $w/a.img)
cp --sparse=always $w/a.img $w/good.img
echo "ok: setup: GRUB installed by the system's grub-install; diagnose finds nothing"

# --- the boot code zeroed ---
dd if=/dev/zero of=$w/a.img bs=440 count=1 conv=notrunc status=none
broken=$(mib $w/a.img)
open_img $w/a.img; grub_sums > $w/grub-before.sums; test_release
set +e; "$RESCUE" diagnose --image $w/a.img --json > $w/diag.json; rc=$?; set -e
assert_jq $w/diag.json '[.findings[] | select(.severity == "error") | .code] | join(",")' bios-boot-code-missing "negative control: the finding"
assert_jq $w/diag.json '.findings[0].subject' a.img "negative control: the disk named"
[ "$broken" = "$(mib $w/a.img)" ] || fail "diagnose wrote to the disk"
echo "ok: negative control: the zeroed boot code is found (and nothing else), read-only"

set +e; "$RESCUE" fix --dry-run --image $w/a.img > $w/plan.sh; rc=$?; set -e
cat $w/plan.sh
[ $rc -eq 20 ] || fail "dry run: expected 20, got $rc"
sh -n $w/plan.sh || fail "the dry-run script is not valid shell"
grep -q "^chroot \"\$R\" grub-install --target=i386-pc --boot-directory=/boot $w/a.img$" $w/plan.sh || fail "plan lacks grub-install on the disk"
grep -q "why: bios-boot-code-missing: a.img holds /boot, and it is the only disk" $w/plan.sh || fail "plan does not say why this disk"
grep -q "^dd if=$w/a.img of=\"\$J/disk-0-1048576\" bs=512 skip=0 count=2048$" $w/plan.sh || fail "plan does not save the first MiB"
[ "$broken" = "$(mib $w/a.img)" ] || fail "--dry-run changed the disk"
echo "ok: the dry run names the disk, why, what is saved; changes nothing"

t0=$(date +%s)
set +e; "$RESCUE" fix --yes --image $w/a.img --json > $w/fix.json; rc=$?; set -e
jq -c '.plan.actions[] | {kind, status, result, disk}' $w/fix.json
[ $rc -eq 0 ] || fail "fix: expected 0, got $rc"
assert_jq $w/fix.json '.plan.actions[0].kind' grub-install-bios
assert_jq $w/fix.json '.plan.actions[0].disk.saved[0].length' 1048576 "the journal's range"
assert_jq $w/fix.json '.after.errors' 0
[ "$(head -c 2 $w/a.img | od -An -tx1 | tr -d ' ')" = eb63 ] || fail "no GRUB boot code after the repair"
"$RESCUE" diagnose --image $w/a.img --json > $w/after.json || true
assert_jq $w/after.json '[.findings[] | select(.code | test("bios|grub-core|grub-prefix"))] | length' 0 "BIOS findings after the repair"
open_img $w/a.img
J=$(jq -r '.plan.journal' $w/fix.json)
grep -q "^disk $w/a.img 0 [0-9]* 0 1048576 [0-9]* 1$" $m$J/manifest || fail "the journal does not name the disk's first MiB"
[ "$(sha256sum < $m$J/1 | cut -c1-64)" = "$broken" ] || fail "the journal's copy is not the broken first MiB"
grep -q "Installation finished" $m$J/log || fail "grub-install's output is not logged"
test_release
echo "ok: fixed by the real grub-install in $(($(date +%s) - t0)) s: GRUB's boot code and core read right, diagnose clean"

"$RESCUE" undo --image $w/a.img > $w/undo.txt 2>&1 || { cat $w/undo.txt; fail "undo failed"; }
[ "$broken" = "$(mib $w/a.img)" ] || fail "undo did not give back the broken first MiB"
open_img $w/a.img; grub_sums > $w/grub-undone.sums; test_release
diff $w/grub-before.sums $w/grub-undone.sums || fail "undo did not restore /boot/grub byte for byte"
echo "ok: undo: the first MiB is the broken one again (sha256 $broken), /boot/grub byte for byte"

# --- a grub-install that leaves no core and says it worked ---
# A stand-in: this part is about what rescue does when the tool lies, not
# about grub-install.
open_img $w/a.img
mv $m/usr/sbin/grub-install $m/usr/sbin/grub-install.real
cat > $m/usr/sbin/grub-install <<'SH'
#!/bin/sh
for a; do dev=$a; done
dd if=/usr/lib/grub/i386-pc/boot.img of=$dev bs=440 count=1 conv=notrunc status=none
dd if=/dev/zero of=$dev bs=512 seek=1 count=100 conv=notrunc status=none
echo garbage > /boot/grub/i386-pc/normal.mod
echo garbage > /boot/grub/i386-pc/new-file.mod
exit 0
SH
chmod +x $m/usr/sbin/grub-install
grub_sums > $w/grub-before.sums
test_release
broken2=$(mib $w/a.img)
set +e; "$RESCUE" fix --yes --image $w/a.img --json > $w/lie.json; rc=$?; set -e
jq -c '.plan.actions[] | {kind, status, result}' $w/lie.json
[ $rc -eq 24 ] || fail "a lying grub-install: expected 24, got $rc"
jq -r '.plan.actions[0].result' $w/lie.json | grep -q "put back as they were" || fail "the rollback is not reported"
[ "$broken2" = "$(mib $w/a.img)" ] || fail "the first MiB was not rolled back"
open_img $w/a.img; grub_sums > $w/grub-rolled.sums
mv $m/usr/sbin/grub-install.real $m/usr/sbin/grub-install
test_release
diff $w/grub-before.sums $w/grub-rolled.sums || fail "GRUB's files were not rolled back"
losetup -a | grep -q "$w/a.img" && fail "a loop device of the image is left"
echo "ok: a grub-install that leaves no core: caught by the read-back, disk and files rolled back, exit 24"

# --- undo onto a disk repartitioned since: refused, nothing written ---
set +e; "$RESCUE" fix --yes --image $w/a.img > $w/fix3.txt 2>&1; rc=$?; set -e
[ $rc -eq 0 ] || { cat $w/fix3.txt; fail "the repair before the repartitioning: expected 0, got $rc"; }
sfdisk -q --part-type $w/a.img 3 83
fixed=$(mib $w/a.img)
set +e; "$RESCUE" undo --image $w/a.img > $w/undo3.txt 2>&1; rc=$?; set -e
cat $w/undo3.txt
[ $rc -ne 0 ] || fail "undo onto a repartitioned disk succeeded"
grep -q "partition table changed since it was saved; nothing written" $w/undo3.txt || fail "undo does not say why it refused"
[ "$fixed" = "$(mib $w/a.img)" ] || fail "undo wrote to a repartitioned disk"
echo "ok: undo refuses to put sectors back on a disk whose partition table changed (exit $rc), nothing written"

# --- GRUB's core damaged (its boot sector intact) ---
# Sectors 2-33 of the gap (GRUB's loader code after sector 1, and more)
# overwritten with 0xff, as a partitioning or disk tool writing its own
# data there would. (Damage only past the loader code, within what GRUB's
# Reed-Solomon parity after the core covers, GRUB corrects at each start;
# the VM scenario b1-grub-core-damaged boots this same damage.)
cp --sparse=always $w/good.img $w/c.img
head -c 16384 /dev/zero | tr '\0' '\377' | dd of=$w/c.img bs=512 seek=2 iflag=fullblock conv=notrunc status=none
broken3=$(mib $w/c.img)
set +e; "$RESCUE" diagnose --image $w/c.img --json > $w/core.json; rc=$?; set -e
assert_jq $w/core.json '[.findings[] | select(.severity == "error") | .code] | join(",")' grub-core-damaged "negative control: a damaged core"
[ "$broken3" = "$(mib $w/c.img)" ] || fail "diagnose wrote to the disk"
set +e; "$RESCUE" fix --yes --image $w/c.img --json > $w/corefix.json; rc=$?; set -e
jq -c '.plan.actions[] | {kind, status, result}' $w/corefix.json
[ $rc -eq 0 ] || fail "fix of a damaged core: expected 0, got $rc"
assert_jq $w/corefix.json '.plan.actions[0].kind' grub-install-bios
assert_jq $w/corefix.json '.after.errors' 0
"$RESCUE" diagnose --image $w/c.img --json > $w/core-after.json || true
assert_jq $w/core-after.json '[.findings[] | select(.code | test("bios|grub-core|grub-prefix"))] | length' 0 "BIOS findings after the core's repair"
"$RESCUE" undo --image $w/c.img > $w/undo4.txt 2>&1 || { cat $w/undo4.txt; fail "undo of the core's repair failed"; }
[ "$broken3" = "$(mib $w/c.img)" ] || fail "undo did not give back the damaged first MiB"
echo "ok: a damaged core: found (grub-core-damaged), repaired by grub-install, undone to the damaged bytes"

# --- two disks, the choice ambiguous: nothing written ---
# /boot moved to a second disk (its partition's bytes copied there, the
# filesystem's signature wiped on the first), so root is on d1 and /boot
# on d2; the boot code of both disks zeroed. GRUB could have been started
# from either: nothing on the disks says which one the BIOS boots from.
cp --sparse=always $w/good.img $w/d1.img
boot_start=$(sfdisk -J $w/d1.img | jq '.partitiontable.partitions[0].start')
boot_size=$(sfdisk -J $w/d1.img | jq '.partitiontable.partitions[0].size')
truncate -s $(( (boot_start + boot_size) * 512 + 1048576 )) $w/d2.img
printf 'label: dos\nstart=%s, size=%s, type=83\n' $boot_start $boot_size | sfdisk -q $w/d2.img
dd if=$w/d1.img of=$w/d2.img bs=512 skip=$boot_start seek=$boot_start count=$boot_size conv=notrunc,sparse status=none
dd if=/dev/zero of=$w/d1.img bs=512 seek=$boot_start count=128 conv=notrunc status=none
dd if=/dev/zero of=$w/d1.img bs=440 count=1 conv=notrunc status=none
[ "$(head -c 440 $w/d2.img | tr -d '\0' | wc -c)" = 0 ] || fail "setup: d2's new boot code is not empty"
one=$(mib $w/d1.img) two=$(mib $w/d2.img)
set +e; "$RESCUE" diagnose --image $w/d1.img --image $w/d2.img --json > $w/two.json; rc=$?; set -e
assert_jq $w/two.json '[.findings[] | select(.code == "bios-boot-code-missing") | .subject] | sort | join(",")' d1.img,d2.img \
	"negative control: both disks' boot code found missing"
set +e; "$RESCUE" fix --yes --image $w/d1.img --image $w/d2.img --json > $w/twofix.json; rc=$?; set -e
jq -c '{outcome, actions: [.plan.actions[] | {kind, status}], next_steps}' $w/twofix.json
[ $rc -eq 23 ] || fail "two disks, ambiguous: expected 23 (needs a human), got $rc"
assert_jq $w/twofix.json '[.plan.actions[] | select(.kind == "grub-install-bios")] | length' 0 "no grub-install planned"
jq -r '.next_steps[]' $w/twofix.json | grep -q "both d[12].img (bios-boot-code-missing) and d[12].img (bios-boot-code-missing) could start this system and neither can now: check in the firmware's setup which disk it boots from" \
	|| fail "the report does not say what to check"
[ "$one" = "$(mib $w/d1.img)" ] && [ "$two" = "$(mib $w/d2.img)" ] || fail "a disk was written although the choice was ambiguous"
echo "ok: two disks, both without boot code: nothing written, exit 23, the report says to check which disk the firmware boots from"
