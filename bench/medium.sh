#!/bin/bash
# Benchmark of the rescue medium (make iso), figures only, no targets
# asserted:
#   - sizes: the ISO, its kernel and initramfs, the RESCUE partition;
#   - time from QEMU's start to the wizard: init starting it
#     (RESCUE-WIZARD-START on ttyS0) and its first screen drawn there (the
#     Welcome screen's heading), TCG, one vCPU, 512 MiB, the boot menu's
#     serial entry chosen as soon as the menu shows, booted as a CD on
#     SeaBIOS, OVMF and OVMF with Secure
#     Boot, and the same with less RAM (384, 320, 256 MiB) to find the
#     least that boots (BENCH_MEDIUM_FW="bios uefi secboot" and
#     BENCH_MEDIUM_MEM="512 384 320 256" choose; BENCH_MEDIUM_MEM="" skips);
#   - reproducibility: the image and the ISO built twice from the same
#     inputs (same tree, same SOURCE_DATE_EPOCH), compared byte for byte.
# BENCH_MEDIUM_REPRO=0 skips the two extra builds (a few minutes).
# The full repair in 384 MiB with Secure Boot is tests/vm/iso-secureboot-repair.sh.
set -euo pipefail
# A decimal point in $EPOCHREALTIME whatever the caller's locale.
LC_NUMERIC=C
src=$(cd "$(dirname "$0")/.." && pwd)
build=$src/${RESCUE_BUILD:-build}
export RESCUE_SRC=$src RESCUE_PLAIN=$build/rescue
. "$src/tests/vm/lib/harness.sh"
. "$src/tests/vm/lib/iso.sh"
vm_setup
rescue_iso
iso=$RESCUE_ISO

echo "== sizes"
printf '%-28s %6s MB\n' "ISO (all partitions)" "$(( $(stat -c %s "$iso") / 1048576 ))"
printf '%-28s %6s MB\n' "  kernel" "$(( $(stat -c %s "$RESCUE_KERNEL") / 1048576 ))"
printf '%-28s %6s MB\n' "  initramfs (squashfs inside)" "$(( $(stat -c %s "$RESCUE_INITRD") / 1048576 ))"
off=$(iso_part_offset "$iso" 3)
printf '%-28s %6s MB\n' "  RESCUE partition" "$(( ($(stat -c %s "$iso") - off) / 1048576 ))"
grep -E '^userland|^modules|^early' "$build/rescue-image/manifest.txt" | sed 's/^/  /'

echo "== QEMU start to the wizard's start on ttyS0 (TCG, -smp $VM_SMP; load average $(cut -d' ' -f1 /proc/loadavg))"
# cpu_ticks: the host's total and stolen CPU ticks (/proc/stat): on a
# shared host the hypervisor's steal slows a TCG guest as much as load does.
cpu_ticks() { awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $9; exit }' /proc/stat; }
# steal_since "TOTAL STEAL": percent of the host's CPU time stolen since.
steal_since() {
	local t0 s0 t1 s1
	read -r t0 s0 <<< "$1"
	read -r t1 s1 <<< "$(cpu_ticks)"
	awk -v t="$((t1 - t0))" -v s="$((s1 - s0))" 'BEGIN { printf "%.0f", (t > 0 ? 100 * s / t : 0) }'
}
# since T0: seconds from T0 (an $EPOCHREALTIME) to now, one decimal.
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
# time_boot FIRMWARE MEM: seconds to RESCUE-WIZARD-START tty=ttyS0, or why not.
time_boot() {
	local fw=$1 mem=$2 t t0=$EPOCHREALTIME c0
	c0=$(cpu_ticks)
	if ! iso_boot "bench-$fw-$mem" "$mem" "$fw" cd "$iso" s; then
		vm_stop; echo "no menu"; return 0
	fi
	# GRUB's "out of memory" or "cannot allocate kernel buffer" (the kernel
	# and initrd do not fit beside the firmware) ends the wait too: nothing
	# else would follow it.
	if vm_wait 240 'RESCUE-WIZARD-START tty=ttyS0|error: out of memory|error: cannot allocate|RESCUE-INCOMPLETE|RESCUE-BROKEN|Kernel panic' >/dev/null \
		&& grep -a -q 'RESCUE-WIZARD-START tty=ttyS0' "$VM_LOG"; then
		t=$(since "$t0")
		# The first screen: the Welcome heading after the marker, init's own
		# lines left out.
		local at i screen="not drawn within 30 s"
		at=$(grep -a -b -o 'RESCUE-WIZARD-START tty=ttyS0' "$VM_LOG" | head -n 1 | cut -d: -f1)
		for i in $(seq 300); do
			if tail -c +$((at + 40)) "$VM_LOG" | tr -d '\r' | grep -a -v -E 'RESCUE-|rescue-init:' \
				| grep -a -q 'Welcome'; then
				screen="$(since "$t0")s"
				break
			fi
			sleep 0.1
		done
		echo "first screen ${screen} (menu at ${ISO_MENU_AT}s, wizard started at ${t}s; host CPU stolen $(steal_since "$c0")%)"
	elif grep -a -q -E 'Kernel panic|No working init|Out of memory|out of memory|cannot allocate|RESCUE-INCOMPLETE|RESCUE-BROKEN' "$VM_LOG"; then
		echo "does not boot: $(grep -a -o -E 'Kernel panic.*|No working init.*|Out of memory.*|error: out of memory.*|error: cannot allocate [a-z ]*|RESCUE-INCOMPLETE.*|RESCUE-BROKEN.*' "$VM_LOG" | head -n 1 | tr -d '\r')"
	else
		echo "no wizard within 240 s"
	fi
	vm_stop
}
for mem in ${BENCH_MEDIUM_MEM-512 384 320 256}; do
	for fw in ${BENCH_MEDIUM_FW:-bios uefi secboot}; do
		printf '%-28s %s\n' "$fw, CD, $mem MiB" "$(time_boot "$fw" "$mem")"
	done
done

if [ "${BENCH_MEDIUM_REPRO:-1}" != 0 ]; then
	echo "== reproducibility: two builds from the same inputs"
	export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$src" log -1 --format=%ct)}
	for n in 1 2; do
		mkdir -p "$VM_DIR/r$n"
		"$src/iso/build-image.sh" "$RESCUE_PLAIN" "$VM_DIR/r$n/image" >/dev/null 2>&1
		"$src/iso/build-iso.sh" "$VM_DIR/r$n/image" "$VM_DIR/r$n/rescue.iso" >/dev/null 2>&1
	done
	for f in image/vmlinuz image/initrd.img rescue.iso; do
		if cmp -s "$VM_DIR/r1/$f" "$VM_DIR/r2/$f"; then
			printf '%-28s identical (sha256 %s)\n' "$f" "$(sha256sum < "$VM_DIR/r1/$f" | cut -c1-16)"
		else
			printf '%-28s DIFFERENT: %s bytes differ\n' "$f" "$(cmp -l "$VM_DIR/r1/$f" "$VM_DIR/r2/$f" | wc -l)"
		fi
	done
fi
