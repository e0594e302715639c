# Scripted repair: a kernel without its modules directory cannot get an
# initramfs offline. Make the newest kernel that has modules and an
# initramfs GRUB's default, and name the package to reinstall for the other.
set -euxo pipefail
. ./guest.sh
. ./params
b1_open
good="" 
for v in $(ls /mnt/boot/vmlinuz-* | sed 's|.*/vmlinuz-||' | sort -V); do
	if [ -d "/mnt/lib/modules/$v" ] && [ -s "/mnt/boot/initrd.img-$v" ]; then
		good=$v
	else
		pkg=$(chroot /mnt dpkg -S "/boot/vmlinuz-$v" | cut -d: -f1)
		echo "kernel $v is incomplete (modules: $([ -d "/mnt/lib/modules/$v" ] && echo yes || echo missing)); reinstall the package $pkg"
	fi
done
[ -n "$good" ]
check_initramfs "/boot/initrd.img-$good" systemd-cryptsetup lvm dm-crypt
sub=$(grep -o "submenu .*menuentry_id_option '[^']*'" /mnt/boot/grub/grub.cfg | grep -o "gnulinux-advanced-[^']*")
ent=$(grep -o "gnulinux-$good-advanced-[^']*" /mnt/boot/grub/grub.cfg | head -n 1)
[ -n "$sub" ] && [ -n "$ent" ]
sed -i "s|^GRUB_DEFAULT=.*|GRUB_DEFAULT=\"$sub>$ent\"|" /mnt/etc/default/grub
chroot /mnt update-grub
grep -q "set default=\"$sub>$ent\"" /mnt/boot/grub/grub.cfg
b1_close
