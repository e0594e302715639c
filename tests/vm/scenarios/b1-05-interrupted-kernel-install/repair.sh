# Scripted repair: a kernel without its modules directory cannot get an
# initramfs offline. Make the newest kernel that has modules and an
# initramfs GRUB's default, and name the package to reinstall for the other.
set -euxo pipefail
. ./guest.sh
. ./guest-rescue.sh
. ./params
sys_open --rw
good="" 
for v in $(ls $ROOT/boot/vmlinuz-* | sed 's|.*/vmlinuz-||' | sort -V); do
	if [ -d "$ROOT/lib/modules/$v" ] && [ -s "$ROOT/boot/initrd.img-$v" ]; then
		good=$v
	else
		pkg=$(in_sys dpkg -S "/boot/vmlinuz-$v" | cut -d: -f1)
		echo "kernel $v is incomplete (modules: $([ -d "$ROOT/lib/modules/$v" ] && echo yes || echo missing)); reinstall the package $pkg"
	fi
done
[ -n "$good" ]
check_image "/boot/initrd.img-$good" systemd-cryptsetup lvm dm-crypt
sub=$(grep -o "submenu .*menuentry_id_option '[^']*'" $ROOT/boot/grub/grub.cfg | grep -o "gnulinux-advanced-[^']*")
ent=$(grep -o "gnulinux-$good-advanced-[^']*" $ROOT/boot/grub/grub.cfg | head -n 1)
[ -n "$sub" ] && [ -n "$ent" ]
sed -i "s|^GRUB_DEFAULT=.*|GRUB_DEFAULT=\"$sub>$ent\"|" $ROOT/etc/default/grub
in_sys update-grub
grep -q "set default=\"$sub>$ent\"" $ROOT/boot/grub/grub.cfg
sys_close
