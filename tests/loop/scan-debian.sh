#!/bin/bash
# rescue scan --json on the demo disk, a real Debian 12 install made from
# Debian packages: os-release, kernel with initramfs and modules, fstab
# mapped to the partitions, GRUB BIOS and the dracut generator are reported
# as they are on the disk, and the image is unchanged afterwards.
. "$(dirname "$0")/../lib/testlib.sh"
need_root
need_cmd jq sfdisk
img=$("$RESCUE_SRC/tests/lib/demo-disk.sh")
tmpdir; w=$REPLY
sum=$(sha256sum < "$img")

"$RESCUE" scan --image "$img" --json > $w/scan.json
n=$(basename "$img")
J=$w/scan.json
S='.systems[0]'
assert_jq $J '.systems | length' 1
assert_jq $J "$S.os_release.ID + \" \" + $S.os_release.VERSION_ID" "debian 12"
assert_jq $J "$S.os_release.PRETTY_NAME" "Debian GNU/Linux 12 (bookworm)"
assert_jq $J "$S.profile" debian
assert_jq $J "$S.root_device" "$n:p2"
assert_jq $J "$S.boot_device" "$n:p1"
assert_jq $J "$S.generator" dracut
assert_jq $J "$S.bootloader.type" grub-bios
assert_jq $J "$S.bootloader.grub_cfg" /boot/grub/grub.cfg

# The kernel as the disk has it, compared with the files themselves.
tmpdir; m=$REPLY
loop_part "$img" 1; boot=$REPLY
loop_part "$img" 2; root=$REPLY
mount -o ro,noload "$boot" $m; _test_mounts+=("$m")
K=$(cd $m && ls vmlinuz-* | sed 's/^vmlinuz-//' | sort -V | tail -n 1)
isize=$(stat -c %s $m/initrd.img-$K); ksize=$(stat -c %s $m/vmlinuz-$K)
umount $m; _test_mounts=()
assert_jq $J "$S.kernels | length" 1
assert_jq $J "$S.kernels[0].version" "$K"
assert_jq $J "$S.kernels[0].image" "/boot/vmlinuz-$K"
assert_jq $J "$S.kernels[0].image_size" "$ksize"
assert_jq $J "$S.kernels[0].initramfs" "/boot/initrd.img-$K"
assert_jq $J "$S.kernels[0].initramfs_size" "$isize"
assert_jq $J "$S.kernels[0].modules" true
assert_jq $J "$S.kernels[0].config" true
# fstab: every entry mapped to the partition holding that UUID.
for i in 0 1 2; do
	spec=$(jq -r "$S.fstab[$i].spec" $J); uuid=${spec#UUID=}
	dev=$(jq -r ".devices[] | select(.uuid==\"$uuid\") | .name" $J)
	assert_jq $J "$S.fstab[$i].device" "$dev" "fstab entry $i ($spec)"
done
assert_jq $J "$S.fstab[2].fstype" swap
assert_jq $J "$S.bootloader.entries[0].linux" "/vmlinuz-$K"
test_release
[ "$sum" = "$(sha256sum < "$img")" ] || fail "the demo image changed during the scan"
echo "ok: image unchanged"
