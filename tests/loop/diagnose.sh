#!/bin/bash
# rescue diagnose on copies of the demo disk (a real Debian 12 install),
# each broken the way the scenario catalogue says: the healthy disk has no
# findings; each break is named with its evidence; diagnose never writes.
. "$(dirname "$0")/../lib/testlib.sh"
need_root
need_cmd jq sfdisk setfattr
img=$("$RESCUE_SRC/tests/lib/demo-disk.sh")
tmpdir; w=$REPLY
export RESCUE_STATE_DIR=$w/state

diag() { # IMAGE -> $w/d.json, exit code in $rc
	set +e; "$RESCUE" diagnose --image "$1" --json > $w/d.json 2> $w/d.err; rc=$?; set -e
	cat $w/d.err >&2
}
has() { # CODE [SEVERITY]: the finding is there
	local got; got=$(jq -r --arg c "$1" '.findings[] | select(.code==$c) | .severity' $w/d.json | head -n 1)
	[ -n "$got" ] || fail "no finding $1 in $(jq -c '[.findings[].code]' $w/d.json)"
	[ -z "${2:-}" ] || [ "$got" = "$2" ] || fail "finding $1 is $got, expected $2"
	echo "ok: $1 ($got): $(jq -r --arg c "$1" '.findings[] | select(.code==$c) | .evidence' $w/d.json | head -n 1)"
}
# open IMAGE: mount its root and /boot read-write at $m for breaking.

# Healthy: nothing to report, and nothing written.
sum=$(sha256sum < "$img")
diag "$img"
[ $rc -eq 0 ] || fail "healthy disk: expected exit 0, got $rc: $(jq -c '.findings' $w/d.json)"
[ "$sum" = "$(sha256sum < "$img")" ] || fail "diagnose changed the image"
echo "ok: healthy disk: no findings, image unchanged"

# A: catalogue 2 + 4: the initramfs is gone, GRUB names a root UUID that no
# longer exists; also an fstab line for a vanished disk and an orphan image.
cp --sparse=always "$img" $w/a.img
open_img $w/a.img
rm $m/boot/initrd.img-$K
head -c 3M /dev/urandom > $m/boot/initrd.img-5.10.0-9-amd64
sed -i "s/root=UUID=[0-9a-f-]*/root=UUID=0badc0de-0000-4000-8000-000000000000/" $m/boot/grub/grub.cfg
echo "UUID=11111111-2222-3333-4444-555555555555 /srv ext4 defaults 0 2" >> $m/etc/fstab
test_release
diag $w/a.img
[ $rc -eq 20 ] || fail "expected exit 20, got $rc"
has initramfs-missing error
has boot-entry-missing-file error
has cmdline-root-unknown error
has fstab-device-missing error
has boot-leftovers info
jq -r '.findings[] | select(.code=="initramfs-missing") | .fix' $w/d.json | grep -q "dracut --force --kver $K /boot/initrd.img-$K" \
	|| fail "the fix does not name the profile's rebuild command for kernel $K"
echo "ok: the fix is the target's own generator, for the target's kernel"

# B: a truncated initramfs (an interrupted rebuild).
cp --sparse=always "$img" $w/b.img
open_img $w/b.img
size=$(stat -c %s $m/boot/initrd.img-$K)
truncate -s $((size / 2)) $m/boot/initrd.img-$K
test_release
diag $w/b.img
has initramfs-corrupt error

# C: catalogue 3: /boot too full to write a new image; a zero-byte image.
cp --sparse=always "$img" $w/c.img
open_img $w/c.img
: > $m/boot/initrd.img-$K
cp $m/boot/vmlinuz-$K $m/boot/vmlinuz-$K.bak
avail=$(df -B1 --output=avail $m/boot | tail -n 1)
fallocate -l $((avail - 4 * 1024 * 1024)) $m/boot/filler.bak
test_release
diag $w/c.img
has initramfs-empty error
has boot-space-insufficient error
jq -r '.findings[] | select(.code=="boot-space-insufficient") | .evidence' $w/d.json | grep -q "filler.bak" \
	|| fail "removable files not listed"
jq -r '.findings[] | select(.code=="boot-space-insufficient") | .evidence' $w/d.json | grep -q "vmlinuz-$K (" \
	&& fail "the kernel itself was offered for removal"
echo "ok: removable files listed, the kernel never among them"

# D: catalogue 5: an interrupted kernel install: the default kernel's
# modules are gone.
cp --sparse=always "$img" $w/d.img
open_img $w/d.img
mv $m/usr/lib/modules/$K $m/usr/lib/modules-$K.away
test_release
diag $w/d.img
has kernel-modules-missing error
has default-kernel-unbootable error
jq -r '.findings[] | select(.code=="kernel-modules-missing") | .fix' $w/d.json | grep -q "linux-image-$K" \
	|| fail "the package to reinstall is not named"

# E: catalogue 6: SELinux enforcing, an initramfs with the wrong label.
cp --sparse=always "$img" $w/e.img
open_img $w/e.img
mkdir -p $m/etc/selinux/targeted/contexts/files
printf 'SELINUX=enforcing\nSELINUXTYPE=targeted\n' > $m/etc/selinux/config
printf '/boot(/.*)?\tsystem_u:object_r:boot_t:s0\n' > $m/etc/selinux/targeted/contexts/files/file_contexts
for f in $m/boot/*; do [ -f "$f" ] && setfattr -n security.selinux -v system_u:object_r:boot_t:s0 "$f"; done
setfattr -n security.selinux -v unconfined_u:object_r:user_tmp_t:s0 $m/boot/initrd.img-$K
test_release
diag $w/e.img
has selinux-label-wrong error
jq -r '.findings[] | select(.code=="selinux-label-wrong") | .evidence' $w/d.json | grep -q "initrd.img-$K is unconfined_u:object_r:user_tmp_t:s0, should be system_u:object_r:boot_t:s0" \
	|| fail "the mislabelled file is not named with both labels"
jq -r '.findings[] | select(.code=="selinux-label-wrong") | .evidence' $w/d.json | grep -q "vmlinuz" \
	&& fail "a correctly labelled file was reported"
echo "ok: only the mislabelled file reported"

# The text report explains itself.
"$RESCUE" diagnose --image $w/a.img > $w/text || true
grep -q "evidence:" $w/text && grep -q "fix:" $w/text || fail "text report lacks evidence/fix"
