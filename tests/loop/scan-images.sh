#!/bin/bash
# rescue scan on real disk images attached through loop devices: GPT with
# an ESP stub + ext4 + xfs, btrfs with a `root` subvolume and SELinux, LUKS1
# and LUKS2 containers (fast KDF), an LVM PV whose inactive LV holds a system,
# ext4 and xfs with dirty journals, and bad inputs. Checks what the scan
# reports, that every image is byte for byte unchanged, that dirty journals
# stay dirty, and that no loop device, mount or temporary directory is left.
. "$(dirname "$0")/../lib/testlib.sh"
need_root
need_cmd sfdisk mkfs.ext4 mkfs.xfs mkfs.btrfs mkfs.vfat cryptsetup pvcreate jq xfs_io dumpe2fs
tmpdir; w=$REPLY
K=6.1.0-13-amd64

# 1. GPT: ESP (vfat) with a Debian-style stub, ext4 root (Debian), xfs data.
truncate -s 600M $w/gpt.img
sfdisk -q $w/gpt.img <<'PT'
label: gpt
size=64MiB, type=uefi
size=200MiB, type=linux
size=310MiB, type=linux
PT
loop_part $w/gpt.img 1; esp=$REPLY; loop_part $w/gpt.img 2; root=$REPLY; loop_part $w/gpt.img 3; data=$REPLY
mkfs.vfat -n ESP $esp >/dev/null; mkfs.ext4 -q $root; mkfs.xfs -q $data
mount_tmp $root; r=$REPLY
mini_root $r debian 12 $K
head -c 8192 /dev/urandom > $r/boot/initrd.img-$K
mkdir -p $r/boot/grub/i386-pc $r/boot/efi $r/etc/default
printf '#!/bin/sh\n' > $r/usr/sbin/update-initramfs; chmod +x $r/usr/sbin/update-initramfs
printf 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX="console=ttyS0"\n' > $r/etc/default/grub
ROOT_UUID=$(blkid -s UUID -o value $root); ESP_UUID=$(blkid -s UUID -o value $esp)
cat > $r/etc/fstab <<EOT
UUID=$ROOT_UUID / ext4 errors=remount-ro 0 1
UUID=$ESP_UUID /boot/efi vfat umask=0077 0 1
UUID=00000000-dead-beef-0000-000000000000 /srv ext4 defaults 0 2
EOT
printf "menuentry 'Debian' {\n\tlinux /boot/vmlinuz-$K root=UUID=$ROOT_UUID ro\n\tinitrd /boot/initrd.img-$K\n}\n" > $r/boot/grub/grub.cfg
umount $r
# The ESP's contents are checked where the kernel has vfat (the VM tier);
# this host kernel may lack it, and then the scan must say so and go on.
VFAT=$(grep -qw vfat /proc/filesystems && echo yes || echo no)

# 2. btrfs root in subvolume `root` (Fedora's layout), ext4 /boot, SELinux.
truncate -s 440M $w/btrfs.img
sfdisk -q $w/btrfs.img <<'PT'
label: gpt
size=100MiB, type=linux
size=280MiB, type=linux
size=40MiB, type=uefi
PT
loop_part $w/btrfs.img 1; bootp=$REPLY; loop_part $w/btrfs.img 2; bt=$REPLY
loop_part $w/btrfs.img 3; besp=$REPLY
mkfs.ext4 -q $bootp; mkfs.btrfs -q $bt >/dev/null; mkfs.vfat $besp >/dev/null
BESP_UUID=$(blkid -s UUID -o value $besp)
mount_tmp $bt; top=$REPLY
btrfs -q subvolume create $top/root >/dev/null; btrfs -q subvolume create $top/home >/dev/null
mini_root $top/root fedora 39 6.5.6-300.fc39.x86_64
mkdir -p $top/root/etc/selinux/targeted/contexts/files
printf 'SELINUX=enforcing\nSELINUXTYPE=targeted\n' > $top/root/etc/selinux/config
echo '/boot(/.*)? system_u:object_r:boot_t:s0' > $top/root/etc/selinux/targeted/contexts/files/file_contexts
printf '#!/bin/sh\n' > $top/root/usr/bin/dracut; chmod +x $top/root/usr/bin/dracut
BT_UUID=$(blkid -s UUID -o value $bt); BOOT_UUID=$(blkid -s UUID -o value $bootp)
cat > $top/root/etc/fstab <<EOT
UUID=$BT_UUID / btrfs subvol=root,compress=zstd:1 0 0
UUID=$BOOT_UUID /boot ext4 defaults 1 2
UUID=$BT_UUID /home btrfs subvol=home,compress=zstd:1 0 0
UUID=$BESP_UUID /boot/efi vfat umask=0077,shortname=winnt 0 2
EOT
rm -rf $top/root/boot/*
mount_tmp $bootp; b=$REPLY
head -c 4096 /dev/urandom > $b/vmlinuz-6.5.6-300.fc39.x86_64
head -c 4096 /dev/urandom > $b/initramfs-6.5.6-300.fc39.x86_64.img
mkdir -p $b/loader/entries $b/grub2
printf 'title Fedora Linux (6.5.6-300.fc39.x86_64) 39\nversion 6.5.6-300.fc39.x86_64\nlinux /vmlinuz-6.5.6-300.fc39.x86_64\ninitrd /initramfs-6.5.6-300.fc39.x86_64.img\noptions root=UUID=%s ro rootflags=subvol=root\n' $BT_UUID > $b/loader/entries/abc-6.5.6-300.fc39.x86_64.conf
printf 'blscfg\n' > $b/grub2/grub.cfg
umount $b $top

# 2b. A whole-disk btrfs whose default subvolume @ holds the system.
truncate -s 200M $w/btrfs-default.img; mkfs.btrfs -q $w/btrfs-default.img >/dev/null
mount_tmp -o loop $w/btrfs-default.img; top=$REPLY
btrfs -q subvolume create $top/@ >/dev/null
mini_root $top/@ linuxmint 21.2 5.15.0-91-generic
btrfs subvolume set-default $top/@
umount $top

# 3. LUKS2 and LUKS1 (fast KDF: format and probing need no device-mapper).
truncate -s 64M $w/crypt.img
sfdisk -q $w/crypt.img <<'PT'
label: dos
size=30MiB, type=83
size=30MiB, type=83
PT
loop_part $w/crypt.img 1; c2=$REPLY; loop_part $w/crypt.img 2; c1=$REPLY
echo -n secret | cryptsetup -q luksFormat --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 $c2 -
echo -n secret | cryptsetup -q luksFormat --type luks1 --pbkdf-force-iterations 1000 $c1 -
L2_UUID=$(cryptsetup luksUUID $c2)

# 4. LVM: a PV whose VG holds root and swap LVs; the root LV holds Ubuntu.
# LVs are created without device-mapper (metadata only), and filled through
# a loop device over their extents, as lvs reports them.
truncate -s 128M $w/lvm.img
sfdisk -q $w/lvm.img <<'PT'
label: dos
type=8e
PT
loop_part $w/lvm.img 1; pv=$REPLY
pvcreate -q $pv; vgcreate -q vgscan $pv
lvcreate -q --driverloaded n -an -Zn -L 64M -n root vgscan 2>/dev/null
lvcreate -q --driverloaded n -an -Zn -L 8M -n swap vgscan 2>/dev/null
pe_start=$(pvs --noheadings --units b --nosuffix -o pe_start $pv | tr -d ' ')
ext=$(vgs --noheadings --units b --nosuffix -o vg_extent_size vgscan | tr -d ' ')
seg=$(lvs --noheadings -o seg_pe_ranges vgscan/root | tr -d ' '); first=${seg#*:}; first=${first%-*}
pstart=$(sfdisk -J $w/lvm.img | jq '.partitiontable.partitions[0].start')
loop_file -o $((pstart * 512 + pe_start + first * ext)) --sizelimit $((64 * 1024 * 1024)) $w/lvm.img; lvloop=$REPLY
mkfs.ext4 -q $lvloop
mount_tmp $lvloop; l=$REPLY
mini_root $l ubuntu 22.04 5.15.0-88-generic
printf '/dev/mapper/vgscan-root / ext4 defaults 0 1\n/dev/vgscan/swap none swap sw 0 0\n' > $l/etc/fstab
umount $l
vgchange -q --driverloaded n -an vgscan >/dev/null 2>&1 || true
losetup -d $pv $lvloop

# 5. Dirty journals: ext4 (Arch) and xfs (openSUSE), shut down with the
# log flushed but not checkpointed, so they need recovery.
truncate -s 64M $w/dirty-ext4.img; mkfs.ext4 -q -F $w/dirty-ext4.img
truncate -s 320M $w/dirty-xfs.img; mkfs.xfs -q $w/dirty-xfs.img
for fs in ext4 xfs; do
	mount_tmp -o loop $w/dirty-$fs.img; m=$REPLY
	if [ $fs = ext4 ]; then mini_root $m arch "" 6.6.1-arch1-1; else mini_root $m opensuse-tumbleweed 20231101 6.6.1-1-default; fi
	# Freezing writes the metadata in place; only what follows stays in
	# the log, as on a system that crashed after running for a while.
	fsfreeze -f $m; fsfreeze -u $m
	for i in $(seq 50); do echo $i > $m/etc/new-$i; done
	xfs_io -x -c "shutdown -f" $m
	umount $m
done
dumpe2fs -h $w/dirty-ext4.img 2>/dev/null | grep -q needs_recovery || fail "ext4 image is not dirty: the test setup is wrong"
xfs_logprint -t $w/dirty-xfs.img 2>/dev/null | grep -qi 'log tail' || true

# 6. Bad inputs: garbage, a text file, a truncated disk, a missing path.
head -c 4M /dev/urandom > $w/garbage.img
echo "hello" > $w/text.img
head -c 400M $w/gpt.img > $w/truncated.img
head -c 40M $w/crypt.img > $w/truncated-dos.img

test_release
# Other processes may use loop devices meanwhile: count only ours.
ours() { losetup -a | grep -c "$w/" || true; }
loops_before=$(ours)
ls -d /tmp/rescue-scan.* 2>/dev/null | sort > $w/scandirs.before || true
imgs=(gpt btrfs btrfs-default crypt lvm dirty-ext4 dirty-xfs garbage text truncated truncated-dos)
for i in "${imgs[@]}"; do sha256sum $w/$i.img; done > $w/sums.before

set +e
"$RESCUE" scan --json $(for i in "${imgs[@]}"; do echo --image $w/$i.img; done) --image $w/missing.img > $w/scan.json 2> $w/scan.err
rc=$?
set -e
cat $w/scan.err
[ $rc -eq 4 ] || fail "expected exit 4 (some inputs could not be examined), got $rc"
echo "ok: exit code 4"

sha256sum -c --quiet $w/sums.before || fail "an image changed during the scan"
echo "ok: every image unchanged"
dumpe2fs -h $w/dirty-ext4.img 2>/dev/null | grep -q needs_recovery || fail "ext4 journal was replayed"
echo "ok: the ext4 journal still needs recovery"
[ "$(ours)" -eq "$loops_before" ] || fail "loop devices left behind: $(losetup -a | grep "$w/")"
! grep -q rescue-scan /proc/self/mountinfo || fail "scan mounts left behind"
ls -d /tmp/rescue-scan.* 2>/dev/null | sort > $w/scandirs.after || true
[ -z "$(comm -13 $w/scandirs.before $w/scandirs.after)" ] || fail "scan directories left behind"
echo "ok: no loop devices, mounts or directories left"

J=$w/scan.json
# The listing matches the reference tool: blkid -p on each partition,
# attached on its own, reports the same TYPE and UUID as the scan.
n=0
for i in gpt btrfs crypt lvm; do
	np=$(sfdisk -J $w/$i.img | jq '.partitiontable.partitions | length')
	for ((p = 1; p <= np; p++)); do
		loop_part $w/$i.img $p; dev=$REPLY
		for tag in TYPE UUID; do
			want=$(blkid -p -o value -s $tag $dev || true)
			got=$(jq -r ".devices[] | select(.name==\"$i.img:p$p\") | .${tag,,} // empty" $J)
			[ "$want" = "$got" ] || fail "$i.img:p$p $tag: blkid says '$want', scan says '$got'"
			n=$((n + 1))
		done
	done
	test_release
done
echo "ok: $n TYPE/UUID values equal blkid's"
sys() { echo ".systems[] | select(.os_release.ID == \"$1\")"; }
# GPT + ESP stub
assert_jq $J "$(sys debian) | .root_device" "gpt.img:p2"
assert_jq $J "$(sys debian) | .esp_device" "gpt.img:p1"
assert_jq $J "$(sys debian) | .bootloader.type" "grub-bios"
if [ $VFAT = no ]; then
	assert_jq $J '.devices[] | select(.name=="gpt.img:p1") | .error' "cannot be mounted read-only: No such device"
	grep -q "gpt.img:p1: vfat filesystem cannot be mounted read-only" $w/scan.err || fail "ESP failure not named"
fi
assert_jq $J "$(sys debian) | .kernels[0].initramfs" "/boot/initrd.img-$K"
assert_jq $J "$(sys debian) | .generator" "initramfs-tools"
assert_jq $J "$(sys debian) | [.fstab[] | .device] | map(. // \"none\") | join(\",\")" "gpt.img:p2,gpt.img:p1,none" "fstab devices"
assert_jq $J '.devices[] | select(.name=="gpt.img:p3") | .type' "xfs"
# btrfs subvolume + SELinux + BLS
assert_jq $J "$(sys fedora) | .subvol" "root"
assert_jq $J "$(sys fedora) | .profile" "fedora"
assert_jq $J "$(sys fedora) | .boot_device" "btrfs.img:p1"
assert_jq $J "$(sys fedora) | .kernels[0].initramfs" "/boot/initramfs-6.5.6-300.fc39.x86_64.img"
assert_jq $J "$(sys fedora) | .bootloader.bls" "true"
assert_jq $J "$(sys fedora) | .selinux.mode + \" \" + .selinux.type + \" \" + (.selinux.policy_present|tostring)" "enforcing targeted true"
assert_jq $J '[.systems[] | select(.os_release.ID == "fedora")] | length' "1" "the home subvolume is not a system"
assert_jq $J "$(sys fedora) | .esp_device" "btrfs.img:p3" "the ESP line after /boot is found"
assert_jq $J "$(sys linuxmint) | .root_device" "btrfs-default.img"
assert_jq $J "$(sys linuxmint) | .subvol" "@" "the default subvolume is named"
assert_jq $J '[.systems[] | select(.os_release.ID == "linuxmint")] | length' "1" "found once, not again in the walk"
# LUKS
assert_jq $J '.devices[] | select(.name=="crypt.img:p1") | .type + " " + .version + " " + .state' "crypto_LUKS 2 locked: needs passphrase"
assert_jq $J '.devices[] | select(.name=="crypt.img:p1") | .uuid' "$L2_UUID"
assert_jq $J '.devices[] | select(.name=="crypt.img:p2") | .version' "1"
# LVM
assert_jq $J '.volume_groups[] | select(.name=="vgscan") | .lvs | join(",")' "root,swap"
assert_jq $J '.devices[] | select(.name=="lvm.img:p1") | .vg' "vgscan"
assert_jq $J "$(sys ubuntu) | .root_device" "vgscan/root"
assert_jq $J "$(sys ubuntu) | .profile" "debian"
assert_jq $J "$(sys ubuntu) | .fstab[0].device" "vgscan/root" "/dev/mapper/vgscan-root resolves"
assert_jq $J "$(sys ubuntu) | .fstab[1].device" "vgscan/swap" "/dev/vgscan/swap resolves"
# dirty journals: identified without replay
assert_jq $J "$(sys arch) | .root_device" "dirty-ext4.img"
assert_jq $J "$(sys arch) | .profile" "arch"
assert_jq $J "$(sys opensuse-tumbleweed) | .root_device" "dirty-xfs.img"
assert_jq $J "$(sys opensuse-tumbleweed) | .profile" "opensuse"
# bad inputs named, scan went on
grep -q "garbage.img: no partition table, filesystem or volume recognised" $w/scan.err || fail "garbage.img not named"
grep -q "text.img: not a disk image" $w/scan.err || fail "text.img not named"
grep -q "missing.img: cannot open the disk image" $w/scan.err || fail "missing.img not named"
grep -q "truncated.img: protective MBR but no valid GPT" $w/scan.err || fail "truncated.img not named"
grep -q "truncated-dos.img: partition 2 lies outside the disk" $w/scan.err || fail "truncated-dos.img not named"
assert_jq $J '.devices[] | select(.name=="truncated-dos.img:p1") | .type' "crypto_LUKS" "the partition that fits is still probed"
assert_jq $J '.systems | length' "6"

# A hybrid ISO, as our medium written to a stick: ISO 9660 on the whole
# disk and an MBR partition starting at sector 0 over it. That is its
# layout, not a corrupt table: no warning, the partition shown as ISO 9660.
mkdir -p $w/isodir && echo hello > $w/isodir/hello.txt
xorriso -as mkisofs -quiet -V HYBRID -o $w/hybrid.iso $w/isodir 2>/dev/null || fail "xorriso could not make an ISO"
sectors=$(($(stat -c %s $w/hybrid.iso) / 512))
# Partition 1: bootable, type 0x17, LBA 0, the whole image; then 55 aa.
printf '\x80\x00\x00\x00\x17\x00\x00\x00\x00\x00\x00\x00' | dd of=$w/hybrid.iso bs=1 seek=446 conv=notrunc status=none
printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $((sectors & 255)) $((sectors >> 8 & 255)) $((sectors >> 16 & 255)) $((sectors >> 24)))" \
	| dd of=$w/hybrid.iso bs=1 seek=458 conv=notrunc status=none
printf '\x55\xaa' | dd of=$w/hybrid.iso bs=1 seek=510 conv=notrunc status=none
rc=0; "$RESCUE" scan --json --image $w/hybrid.iso > $w/hybrid.json 2> $w/hybrid.err || rc=$?
# 3: no installed system on it, which is so.
[ $rc -eq 3 ] || { cat $w/hybrid.err; fail "scan of a hybrid ISO: expected exit 3, got $rc"; }
! grep -q "outside the disk" $w/hybrid.err || { cat $w/hybrid.err; fail "a hybrid ISO's partition at sector 0 is called corrupt"; }
assert_jq $w/hybrid.json '.devices[] | select(.name=="hybrid.iso:p1") | .type' "iso9660" "the hybrid ISO's partition"
echo "all checks passed"
