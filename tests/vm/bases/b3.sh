# Base image B3 (runs in the rescue environment as a builder VM):
# Debian 12 with dracut (hostonly), the root on btrfs in a subvolume named
# "root" (Fedora's layout: the filesystem's top level is not the root, fstab
# mounts subvol=root and grub-mkconfig adds rootflags=subvol=root), /boot on
# ext4 (partition 1), BIOS GRUB on an MBR disk, SELinux enforcing with
# Debian's reference policy (selinux-policy-default, type "default"). No
# LUKS, no LVM. Serial console, rd.retry=20, kvm blacklisted as on B1 (the
# qemu64 CPU advertises SVM and kvm_amd stalls a TCG guest).
#
# Labels: every file is labelled here, in the builder, with setfiles and the
# policy's file_contexts. The Debian way (selinux-activate: /.autorelabel,
# a full relabel at first boot, then a reboot) would cost minutes of TCG
# time on every build and a reboot the harness does not expect.
#
# boot-label-check.service: a wrong label on /boot/initrd.img does not stop
# GRUB or the kernel (neither reads labels), so on Debian nothing in the
# boot would notice scenario 6's break. This oneshot unit checks /boot's
# labels with the system's own tools (restorecon -n -v -R /boot: anything
# printed is a file that would be relabelled) and fails on any; the marker
# unit requires it, so a wrong label means no marker. It stands in for the
# label-sensitive consumers of /boot on a real system, such as Fedora's kdump
# (which rebuilds and reads its initramfs in /boot) or grubby in enforcing
# mode, which are denied files with a wrong label.
#
# The marker under enforcing: the unit lets systemd open /dev/ttyS0 for its
# output (StandardOutput=tty), as it does for getty, rather than relying on
# the shell being allowed to open the tty itself; the B1 way (echo >
# /dev/ttyS0 from the shell) is tried first and its result printed
# (B3-DIRECT-WRITE), so the boot log shows whether the policy allows it.
# The marker line is preceded by "SELINUX-MODE" and getenforce's answer.
set -euxo pipefail
. ./guest.sh
. ./guest-b3.sh
. ./params

disk=$(disk_by_serial target)
tree=$(disk_by_serial tree)

step partition, filesystems, the root subvolume
sfdisk --quiet "$disk" <<PT
label: dos
start=1MiB, size=256MiB, type=83, bootable
type=83
PT
udevadm settle
boot=$(part "$disk" 1) btr=$(part "$disk" 2)
mkfs.ext4 -q -L boot "$boot"
mkfs.btrfs -q -L b3root "$btr"
mkdir -p /tmp/top
mount "$btr" /tmp/top
btrfs subvolume create /tmp/top/root
umount /tmp/top
# The filesystem's default subvolume stays the top level (as on Fedora):
# only subvol=root, from fstab and the kernel line, finds the system.
mount -o subvol=root "$btr" /mnt
mkdir -p /mnt/boot
mount "$boot" /mnt/boot

step unpack the Debian tree
tar -xf "$tree" -C /mnt
kver=$(ls /mnt/lib/modules | sort -V | tail -n 1)

step configure
boot_uuid=$(blkid -s UUID -o value "$boot")
root_uuid=$(blkid -s UUID -o value "$btr")
cat > /mnt/etc/fstab <<FSTAB
UUID=$root_uuid / btrfs subvol=root 0 0
UUID=$boot_uuid /boot ext4 defaults 0 2
FSTAB
echo b3 > /mnt/etc/hostname
cat > /mnt/etc/selinux/config <<CONF
SELINUX=enforcing
SELINUXTYPE=default
CONF
target_grub_defaults /mnt rd.retry=20 "security=selinux selinux=1 enforcing=1"
target_dracut_conf /mnt

# The label check (see the top of this file). Its output goes to the serial
# console through systemd, so a failure is visible there.
cat > /mnt/usr/local/sbin/boot-label-check <<'CHECK'
#!/bin/sh
# Fails when restorecon would relabel anything in /boot (a wrong label).
out=$(/usr/sbin/restorecon -n -v -R /boot 2>&1)
rc=$?
if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
	echo "BOOT-LABEL-CHECK FAILED (restorecon exit $rc): $out"
	exit 1
fi
echo "BOOT-LABEL-CHECK OK"
CHECK
chmod 755 /mnt/usr/local/sbin/boot-label-check
cat > /mnt/etc/systemd/system/boot-label-check.service <<'UNIT'
[Unit]
Description=Check the SELinux labels of /boot (stands in for label-sensitive consumers)
RequiresMountsFor=/boot

[Service]
Type=oneshot
RemainAfterExit=yes
StandardOutput=tty
TTYPath=/dev/ttyS0
ExecStart=/usr/local/sbin/boot-label-check

[Install]
RequiredBy=multi-user.target
UNIT
# $$ is systemd's escape for a literal $ (the shell's command substitution).
cat > /mnt/etc/systemd/system/boot-marker.service <<'UNIT'
[Unit]
Description=Print the boot marker on the serial console
After=multi-user.target boot-label-check.service
Requires=boot-label-check.service

[Service]
Type=oneshot
StandardOutput=tty
TTYPath=/dev/ttyS0
ExecStart=-/bin/sh -c 'echo "B3-DIRECT-WRITE getenforce=$$(getenforce)" > /dev/ttyS0'
ExecStart=/bin/sh -c 'echo "SELINUX-MODE $$(getenforce)"; echo "@MARKER@"'

[Install]
WantedBy=multi-user.target
UNIT
sed -i "s/@MARKER@/$MARKER/" /mnt/etc/systemd/system/boot-marker.service
mkdir -p /mnt/etc/systemd/system/multi-user.target.wants /mnt/etc/systemd/system/multi-user.target.requires
ln -s /etc/systemd/system/boot-marker.service /mnt/etc/systemd/system/multi-user.target.wants/boot-marker.service
ln -s /etc/systemd/system/boot-label-check.service /mnt/etc/systemd/system/multi-user.target.requires/boot-label-check.service

step initramfs and boot loader
chroot_mounts /mnt
rm -f /mnt/boot/initrd.img-*
chroot /mnt dracut --force "/boot/initrd.img-$kver" "$kver"
check_initramfs "/boot/initrd.img-$kver" btrfs virtio_blk
chroot /mnt grub-install --target=i386-pc "$disk"
chroot /mnt update-grub
grep -q "initrd.img-$kver" /mnt/boot/grub/grub.cfg
grep -q "rootflags=subvol=root" /mnt/boot/grub/grub.cfg
chroot_umounts /mnt

step label every file
# setfiles (libselinux 3.4) sets each label through /proc/self/fd/N, so the
# chroot needs /proc (without it every file fails with ENOENT); the other
# API filesystems stay unmounted so their mount points are labelled. /proc
# itself is "<<none>>" in the reference policy's file_contexts (never
# labelled by setfiles, booted or not); matchpathcon shows it.
# -m: do not exclude mounts without seclabel (the rescue kernel runs
# without SELinux: none has it); -F: the full context, not only the type.
fc=/etc/selinux/default/contexts/files/file_contexts
mount -t proc proc /mnt/proc
chroot /mnt setfiles -m -F -e /proc "$fc" / /boot
chroot /mnt restorecon -n -v -R /boot /etc /usr/local > /tmp/relabel.out 2>&1 || true
cat /tmp/relabel.out
chroot /mnt getfattr -n security.selinux "/boot/initrd.img-$kver" "/boot/vmlinuz-$kver" /etc/fstab /usr/local/sbin/boot-label-check
umount /mnt/proc
chroot /mnt matchpathcon /proc || true

step close
umount /mnt/boot /mnt
sync
echo "BASE-META KVER=$kver"
echo "BASE-META BOOTUUID=$boot_uuid"
echo "BASE-META ROOTUUID=$root_uuid"
echo BASE-BUILT
