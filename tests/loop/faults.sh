#!/bin/bash
# rescue --auto when the install's own dracut fails while it works, on
# copies of the demo disk (a real Debian 12 install, its initramfs
# deleted) with the real dracut run in a chroot on this host:
#  - dracut killed by SIGKILL a few seconds into its run, with a
#    half-written image beside the old one (IMAGE.new, as update-initramfs
#    leaves it when stopped);
#  - /boot filled up to 256 KiB free (through a second mount of the
#    partition rescue has mounted) while dracut works, so its image
#    cannot be written.
# Each time: exit 24 (a step failed and was rolled back), the report marks
# the rebuild failed and rolled back, no loop device or mount is left, and
# /boot and /etc are byte for byte as before (apart from the filler).
. "$(dirname "$0")/../lib/testlib.sh"
need_root
need_cmd jq sfdisk
img=$("$RESCUE_SRC/tests/lib/demo-disk.sh")
tmpdir; w=$REPLY
export RESCUE_STATE_DIR=$w/state

# Contents, modes and link targets of /boot and /etc, one line per file.
sums() {
	(cd $m && find boot etc -xdev ! -path 'boot/lost+found*' ! -path boot/filler -printf '%p %y %m %l\n' | LC_ALL=C sort &&
		find boot etc -xdev -type f ! -path boot/filler -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
}
# wait_dracut SECONDS: until dracut has run that long (it must start
# within five minutes).
wait_dracut() {
	local i
	for i in $(seq 3000); do pgrep -x dracut > /dev/null && break; sleep 0.1; done
	pgrep -x dracut > /dev/null || return 1
	sleep "$1"
}
# fault NAME INJECTOR: rescue --auto with INJECTOR running beside it, then
# the checks.
fault() {
	local name=$1 injector=$2 rc ipid
	cp --sparse=always "$img" $w/$name.img
	open_img $w/$name.img
	rm $m/boot/initrd.img-$K
	sums > $w/$name.before
	test_release
	$injector $w/$name.img > $w/$name.injector 2>&1 &
	ipid=$!
	set +e; "$RESCUE" --auto --image $w/$name.img --report $w/$name.json > $w/$name.out 2>&1; rc=$?; set -e
	wait $ipid || { cat $w/$name.out $w/$name.injector; fail "$name: the fault was not injected"; }
	cat $w/$name.injector
	jq -c '.plan.actions[]? | {kind, status, result}' $w/$name.json
	[ $rc -eq 24 ] || { cat $w/$name.out; fail "$name: expected exit 24 (a step failed, rolled back), got $rc"; }
	jq -e '[.plan.actions[] | select(.kind == "rebuild-initramfs" and .status == "failed")] | length == 1' $w/$name.json > /dev/null \
		|| fail "$name: the report does not mark the rebuild failed"
	losetup -a | grep -q "$w/$name.img" && fail "$name: a loop device of the image is left"
	grep -q "$w" /proc/self/mountinfo && fail "$name: a mount is left"
	open_img $w/$name.img
	sums > $w/$name.after
	diff -u $w/$name.before $w/$name.after || fail "$name: /boot or /etc changed"
	test_release
}

# boot_mount IMAGE: the /boot partition rescue attached (a loop device at
# its offset) and mounted, mounted here a second time on $w/fill.
boot_mount() {
	local dev off
	off=$(( $(sfdisk --json "$1" | jq '.partitiontable.partitions[0].start') * 512 ))
	dev=$(losetup -j "$1" -o "$off" -O NAME -n | head -n 1)
	[ -n "$dev" ] || { losetup -a; return 1; }
	mkdir -p $w/fill
	mount "$dev" $w/fill
}
# Killed with its output half-written beside the image under a temporary
# name, as update-initramfs leaves IMAGE.new when it is stopped while
# mkinitramfs writes: the rollback must remove it too.
kill_dracut() {
	wait_dracut 3 || return 1
	boot_mount "$1" || return 1
	echo "injecting: initrd.img-$K.new half-written, kill -9 dracut ($(pgrep -x dracut | paste -sd' '))"
	head -c 1000000 /dev/urandom > $w/fill/initrd.img-$K.new && sync
	umount $w/fill
	pkill -9 -x dracut
}
fault killed kill_dracut
echo "ok: dracut killed by SIGKILL: exit 24, the rebuild marked failed, /boot and /etc as before (its half-written output removed)"

fill_boot() {
	wait_dracut 2 || return 1
	boot_mount "$1" || return 1
	local avail
	avail=$(df --output=avail -B1 $w/fill | tail -n 1)
	echo "injecting: /boot filled from $avail bytes free to 256 KiB"
	fallocate -l $((avail - 262144)) $w/fill/filler && sync
	umount $w/fill
}
fault full fill_boot
echo "ok: /boot filled while dracut works: exit 24, the rebuild marked failed, /boot and /etc as before"
