#!/bin/bash
# rescue --auto repairs the configuration behind a break, on copies of the
# demo disk (a real Debian 12 install) with its own grub-mkconfig run in a
# chroot on this host:
#  - a stale root= in the command-line defaults (a grub.d drop-in, and the
#    grub.cfg generated from it, whose last root= names a filesystem no
#    disk has): the drop-in's line loses the stale root=, and the menu
#    made again from the defaults has the system's root as its last root=.
#    grub-mkconfig itself cannot run here (grub-probe cannot map a loop
#    device over part of an image back to a disk; see demo-disk.sh): a
#    stand-in in the system sources the defaults with the system's own
#    shell as grub-mkconfig does and writes the linux line as 10_linux
#    does ("root=<root> ro" and then the defaults). The real one runs in
#    the VM tier;
#  - fstab's /boot names a UUID that is gone: the one unclaimed filesystem
#    holding the system's kernels is mounted in its place (no false
#    "kernel image missing") and fstab's line is pointed at it.
# Each time: rescue undo restores /etc and /boot byte for byte. Negative
# controls: an unbroken disk gets no configuration edit; with two
# filesystems that could be /boot nothing is guessed (exit 23) and still
# no kernel is reported missing.
. "$(dirname "$0")/../lib/testlib.sh"
need_root
need_cmd jq sfdisk blkid tune2fs e2fsck
img=$("$RESCUE_SRC/tests/lib/demo-disk.sh")
tmpdir; w=$REPLY
export RESCUE_STATE_DIR=$w/state
stale=UUID=0badc0de-0000-4000-8000-000000000000

sums() {
	(cd $m && find boot etc -xdev ! -path 'boot/lost+found*' -printf '%p %y %m %l\n' | LC_ALL=C sort &&
		find boot etc -xdev -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
}

# --- negative control: an unbroken disk ---
cp --sparse=always "$img" $w/ok.img
set +e; "$RESCUE" fix --dry-run --image $w/ok.img --json > $w/ok.json 2> $w/ok.err; rc=$?; set -e
[ "$(jq '[.plan.actions[]? | select(.kind == "edit-config")] | length' $w/ok.json)" = 0 ] \
	|| fail "an unbroken disk: a configuration edit was planned"
echo "ok: an unbroken disk gets no configuration edit (dry run exit $rc)"

# --- a stale root= in GRUB's defaults ---
cp --sparse=always "$img" $w/a.img
open_img $w/a.img
rootspec=$(awk '$2 == "/" { print $1 }' $m/etc/fstab)
mkdir -p $m/etc/default/grub.d
printf '# Written when the system was moved to a new disk\nGRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX root=%s"\n' $stale \
	> $m/etc/default/grub.d/50-moved.cfg
# The menu as update-grub made it from there: the stale root= last.
sed -i "s|^\(\s*linux\s.*\)\$|\1 root=$stale|" $m/boot/grub/grub.cfg
grep -q "root=$stale\$" $m/boot/grub/grub.cfg || fail "the break was not made"
mv $m/usr/sbin/grub-mkconfig $m/usr/sbin/grub-mkconfig.real
cat > $m/usr/sbin/grub-mkconfig <<EOF
#!/bin/sh
# A stand-in for this test (grub-probe cannot run on a loop device here).
set -e
[ "\$1" = -o ] && out=\$2
. /etc/default/grub
for f in /etc/default/grub.d/*.cfg; do [ -e "\$f" ] && . "\$f"; done
cat > "\$out.new" <<CFG
menuentry 'Debian GNU/Linux' {
	linux	/vmlinuz-$K root=$rootspec ro \$GRUB_CMDLINE_LINUX \$GRUB_CMDLINE_LINUX_DEFAULT
	initrd	/initrd.img-$K
}
CFG
mv "\$out.new" "\$out"
EOF
chmod +x $m/usr/sbin/grub-mkconfig
sums > $w/a.before
test_release
set +e; "$RESCUE" diagnose --json --image $w/a.img > $w/a.diag.json; set -e
jq -e '[.findings[] | select(.code == "cmdline-default-root-unknown" and .subject == "/etc/default/grub.d/50-moved.cfg")] | length == 1' \
	$w/a.diag.json > /dev/null || { cat $w/a.diag.json; fail "the stale default is not diagnosed"; }
set +e; "$RESCUE" --auto --image $w/a.img --report $w/a.json > $w/a.out 2>&1; rc=$?; set -e
jq -c '.plan.actions[] | {kind, title, status, result}' $w/a.json
[ $rc -eq 0 ] || { cat $w/a.out; fail "stale root=: expected exit 0 (repaired), got $rc"; }
assert_jq $w/a.json '.plan.actions[0] | "\(.kind) \(.edit.file):\(.edit.line) \(.status)"' \
	"edit-config /etc/default/grub.d/50-moved.cfg:2 done" "the drop-in's line is edited first"
assert_jq $w/a.json '.plan.actions[0].edit.new' 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX"' "the stale root= taken out"
assert_jq $w/a.json '[.plan.actions[] | select(.kind == "grub-config") | .status] | join(",")' done "the menu regenerated"
open_img $w/a.img
grep -q "$stale" $m/boot/grub/grub.cfg && fail "the new menu still names the stale root"
last=$(grep -E '^\s*linux\s' $m/boot/grub/grub.cfg | head -n 1 | grep -o 'root=[^ ]*' | tail -n 1)
[ "$last" = "root=$rootspec" ] || fail "the last root= of the menu is '$last', not root=$rootspec"
echo "ok: the menu from the corrected defaults: the last root= is $last"
test_release
"$RESCUE" undo --image $w/a.img > $w/a.undo 2>&1 || { cat $w/a.undo; fail "undo failed"; }
open_img $w/a.img
sums | grep -v '^var' > $w/a.after
diff -u $w/a.before $w/a.after || fail "undo did not restore /etc and /boot byte for byte"
test_release
echo "ok: undo restores the drop-in and the menu byte for byte"

# --- fstab's /boot names a UUID that is gone ---
cp --sparse=always "$img" $w/b.img
open_img $w/b.img
bootspec=$(awk '$2 == "/boot" { print $1 }' $m/etc/fstab)
[ -n "$bootspec" ] || fail "the demo disk has no /boot line"
sed -i "s|^$bootspec\(\s\+/boot\s\)|UUID=0badb007-0000-4000-8000-000000000000\1|" $m/etc/fstab
grep -q '^UUID=0badb007' $m/etc/fstab || fail "the break was not made"
sums > $w/b.before
test_release
set +e; "$RESCUE" diagnose --json --image $w/b.img > $w/b.diag.json; set -e
jq -c '.findings[] | {code, subject, replacement}' $w/b.diag.json
assert_jq $w/b.diag.json '[.findings[] | select(.code == "fstab-device-missing" and .subject == "/boot") | .replacement] | join(",")' \
	"$bootspec" "the one filesystem holding the kernels is named"
assert_jq $w/b.diag.json '[.findings[] | select(.code == "kernel-image-missing" or .code == "initramfs-missing")] | length' 0 \
	"no kernel or image reported missing"
set +e; "$RESCUE" --auto --image $w/b.img --report $w/b.json > $w/b.out 2>&1; rc=$?; set -e
jq -c '.plan.actions[] | {kind, title, status, result}' $w/b.json
[ $rc -eq 0 ] || { cat $w/b.out; fail "fstab /boot: expected exit 0 (repaired), got $rc"; }
assert_jq $w/b.json '.plan.actions[0] | "\(.kind) \(.edit.file) \(.status)"' "edit-config /etc/fstab done" "fstab's line edited"
open_img $w/b.img
[ "$(awk '$2 == "/boot" { print $1 }' $m/etc/fstab)" = "$bootspec" ] || fail "fstab's /boot is not $bootspec"
test_release
"$RESCUE" undo --image $w/b.img > $w/b.undo 2>&1 || { cat $w/b.undo; fail "undo failed"; }
open_img $w/b.img
sums | grep -v '^var' > $w/b.after
diff -u $w/b.before $w/b.after || fail "undo did not restore /etc and /boot byte for byte"
test_release
echo "ok: fstab's /boot pointed at $bootspec; undo restores it byte for byte"

# --- negative control: two filesystems could be that /boot ---
read -r start size < <(sfdisk -J $w/b.img | jq -r '.partitiontable.partitions[0] | "\(.start) \(.size)"')
dd if=$w/b.img of=$w/boot2.img bs=512 skip=$start count=$size conv=sparse status=none
e2fsck -fy $w/boot2.img > /dev/null 2>&1 || true
tune2fs -U random $w/boot2.img > /dev/null
set +e; "$RESCUE" --auto --image $w/b.img --image $w/boot2.img --report $w/c.json > $w/c.out 2>&1; rc=$?; set -e
jq -c '.plan.actions[]? | {kind, title}' $w/c.json
[ $rc -eq 23 ] || { cat $w/c.out; fail "two candidates: expected exit 23 (needs a human), got $rc"; }
assert_jq $w/c.json '[.plan.actions[]? | select(.kind == "edit-config")] | length' 0 "nothing guessed"
assert_jq $w/c.json '[.before.findings[] | select(.code == "kernel-image-missing")] | length' 0 \
	"an unmounted /boot is not reported as missing kernels"
open_img $w/b.img
sums | grep -v '^var' > $w/c.after
diff -u $w/b.before $w/c.after || fail "with two candidates something was changed"
test_release
echo "ok: two candidates for /boot: nothing guessed or changed, exit 23"
