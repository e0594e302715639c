# Scripted repair (the oracle): mount the system read-write through rescue's
# verbs (the btrfs subvolume root and /boot, as fstab says), put the
# policy's label back on the initramfs with the system's own tools in the
# chroot, check it, release everything.
#
# restorecon first, as a human would; but the rescue kernel runs without
# SELinux and restorecon then does nothing (FORMATS.md), so when the label
# is still wrong afterwards, setfiles with the policy's file_contexts, which
# labels from the policy files alone. Either way the label is checked.
set -uxo pipefail
. ./guest.sh
. ./guest-rescue.sh
. ./params
img=/boot/initrd.img-$KVER
fc=/etc/selinux/default/contexts/files/file_contexts
label() { in_sys getfattr --absolute-names -n security.selinux "$img" | tr -d '\0'; }
sys_open --rw || exit 1
label
in_sys restorecon -v "$img"
echo "restorecon exit $?"
if ! label | grep -q ':boot_t:'; then
	echo "the label is still wrong after restorecon: setfiles -F $fc $img"
	in_sys setfiles -v -F "$fc" "$img" || { sys_close; exit 1; }
fi
label | tee /tmp/label
grep -q 'system_u:object_r:boot_t:s0' /tmp/label || { echo "the label is still wrong" >&2; sys_close; exit 1; }
sys_close
