#!/bin/bash
# VM test iso-pxe-dnsmasq: the dnsmasq recipe of docs/medium.md ("Network
# boot"), run as written, boots a guest with no disk on a LAN that has its
# own DHCP server.
#
# The LAN lives in private network namespaces (nothing of the host's
# network is touched; the namespaces and everything in them go at exit):
#   NS-lan   a bridge and the tap device of the guest's NIC; QEMU runs here
#   NS-dhcp  "the LAN's DHCP server": a dnsmasq at 192.168.1.1 that gives
#            addresses and nothing about booting
#   NS-srv   "the rescue server": a dnsmasq at 192.168.1.2 started with the
#            lines of rescue.conf taken from docs/medium.md itself (only
#            tftp-root is pointed at the tree 'make pxe' writes), so the
#            test and the page cannot drift apart
# Two boots, each to the wizard's start on ttyS0:
#   1. bios-9600: SeaBIOS and QEMU's iPXE ROM (an iPXE client: the recipe
#      sends it rescue.ipxe); in the iPXE menu, keys typed on the guest's
#      keyboard (down, down, enter) choose serial9600. The kernel's command
#      line must have console=ttyS0,9600, and the wizard's Welcome screen
#      must say it runs on ttyS0 at 9600 baud.
#   2. uefi: OVMF's own network stack (no iPXE ROM, client arch 7: the
#      recipe's x86-64_EFI service) fetches bootx64.efi (shim), which
#      fetches grubx64.efi; GRUB reads grub/grub.cfg over TFTP, its "s"
#      entry is chosen on ttyS0, and it loads the kernel and the initrd.
#      Debian's network GRUB asks the next server of the LAN's DHCP
#      answer, not the proxy's, for its files: for this boot the LAN's
#      server names the rescue server, as the page says to.
# The rescue server's log must show each file sent to the guest.
# Not by default: uefi-own, the page's variant for a network of its own
# (the second block: this dnsmasq the only DHCP server, no proxy).
# Exits 77 when network namespaces, bridges or tap devices cannot be made.
# PXE_DNSMASQ_BOOTS="bios-9600 uefi" chooses the boots (also: uefi-own).
# vm-cost: 180 (seconds: two network boots, 101-127 s at load 2-4; the TFTP root built by make when missing)
set -uo pipefail
. "$(dirname "$0")/lib/harness.sh"
. "$(dirname "$0")/lib/iso.sh"

command -v ip >/dev/null || die "no ip command (Debian package iproute2)"
command -v dnsmasq >/dev/null || die "no dnsmasq (Debian package dnsmasq-base; tools/install-deps.sh)"
command -v tmux >/dev/null || die "no tmux (tools/install-deps.sh)"
vm_setup
[ -x "$RESCUE_PLAIN" ] || die "no rescue binary at $RESCUE_PLAIN (run make)"
b=$(dirname "$RESCUE_PLAIN")
flock "$b/.rescue-image.lock" make -s -C "$RESCUE_SRC/iso" pxe BUILD="$b" >&2 || die "make pxe failed"
tftp=$(cd "$b/pxe" && pwd)

# dnsmasq serves TFTP as its own unprivileged user (Debian: dnsmasq), as it
# would from /srv/rescue-pxe: a file that user cannot read would fail the
# boot there too, so it is named here rather than found by a timeout.
for f in vmlinuz initrd.img rescue.ipxe serial9600.ipxe bootx64.efi grubx64.efi grub/grub.cfg; do
	setpriv --reuid=dnsmasq --regid=nogroup --clear-groups test -r "$tftp/$f" \
		|| die "the dnsmasq user cannot read $tftp/$f (a directory above it not searchable, or no file)"
done

# The recipe, from the page: the indented lines after the one naming
# /etc/dnsmasq.d/rescue.conf, up to the first blank line.
doc=$RESCUE_SRC/docs/medium.md
conf=$VM_DIR/rescue.conf
sed -n '/^    # \/etc\/dnsmasq.d\/rescue.conf$/,/^$/p' "$doc" | sed -e '/^$/d' -e 's/^    //' > "$conf"
if [ "$(grep -c '^tftp-root=' "$conf")" != 1 ] || [ "$(grep -c '^[a-z]' "$conf")" -lt 5 ]; then
	die "no dnsmasq recipe found in $doc (a block '    # /etc/dnsmasq.d/rescue.conf' with one tftp-root= line)"
fi
sed -i "s|^tftp-root=[^ ]*|tftp-root=$tftp|" "$conf"
dnsmasq --test --conf-file="$conf" >/dev/null 2>&1 \
	|| die "dnsmasq rejects the recipe of $doc: $(dnsmasq --test --conf-file="$conf" 2>&1)"
log "the recipe from docs/medium.md ($(grep -c '^[a-z]' "$conf") lines; tftp-root=$tftp)"

# The namespaces and the processes in them. Every exit path removes them:
# the processes first (a namespace with a process in it outlives its name).
ns=rescue-pxe-$$
NS_LAN=$ns-lan NS_DHCP=$ns-dhcp NS_SRV=$ns-srv
DNSMASQ_PIDS=()
lan_cleanup() {
	local rc=$? pid n
	vm_stop 2>/dev/null
	# On a failure the servers' logs go with the serial logs.
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -n "${VM_KEEP:-}" ]; then
		mkdir -p "$VM_KEEP"
		for n in "$VM_DIR"/rescue-server-*.log "$VM_DIR"/lan-dhcp-*.log "$VM_DIR/screen.txt"; do
			[ -f "$n" ] && cp "$n" "$VM_KEEP/iso-pxe-dnsmasq-${n##*/}"
		done
		echo "the DHCP servers' logs kept in $VM_KEEP/iso-pxe-dnsmasq-*.log" >&2
	fi
	for pid in "${DNSMASQ_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${DNSMASQ_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	for n in "$NS_LAN" "$NS_DHCP" "$NS_SRV"; do
		[ -e "/run/netns/$n" ] && ip netns delete "$n"
	done
	vm_cleanup
}
trap lan_cleanup EXIT
skip() { echo "$*"; exit 77; }

[ -c /dev/net/tun ] || skip "no /dev/net/tun: no tap device for the guest's NIC"
for n in "$NS_LAN" "$NS_DHCP" "$NS_SRV"; do
	ip netns add "$n" 2>/dev/null || skip "cannot make network namespaces (ip netns add failed)"
	ip -n "$n" link set lo up
done
ip -n "$NS_LAN" link add br0 type bridge 2>/dev/null || skip "cannot make a bridge (ip link add type bridge failed)"
ip -n "$NS_LAN" tuntap add dev tap0 mode tap 2>/dev/null || skip "cannot make a tap device (ip tuntap add failed)"
ip -n "$NS_LAN" link set tap0 master br0
ip -n "$NS_LAN" link set tap0 up
ip -n "$NS_LAN" link set br0 up
# One cable from the bridge to each server: a veth pair whose far end is the
# server's eth0.
lan_host() { # NAMESPACE PORT ADDRESS
	ip -n "$NS_LAN" link add "$2" type veth peer name eth0 netns "$1" || die "cannot make a veth pair"
	ip -n "$NS_LAN" link set "$2" master br0
	ip -n "$NS_LAN" link set "$2" up
	ip -n "$1" addr add "$3/24" dev eth0
	ip -n "$1" link set eth0 up
}
lan_host "$NS_DHCP" p-dhcp 192.168.1.1
lan_host "$NS_SRV" p-srv 192.168.1.2

# start_dnsmasq NAMESPACE LOG ARGS...: dnsmasq in the foreground of a
# background job (its pid is the job's: ip netns exec execs it), logging to
# LOG; with a lease and pid file of its own, never the host's.
start_dnsmasq() {
	local n=$1 logf=$2; shift 2
	ip netns exec "$n" dnsmasq --keep-in-foreground --log-facility="$logf" --log-dhcp \
		--pid-file="$VM_DIR/$n.pid" --dhcp-leasefile="$VM_DIR/$n.leases" "$@" 2>>"$logf" &
	DNSMASQ_PIDS+=($!)
}
# started LOG TEXT PID: wait up to 10 s for dnsmasq's LOG to show TEXT.
started() {
	local i
	for ((i = 0; i < 40; i++)); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || break
		sleep 0.25
	done
	die "dnsmasq did not start ($2): $(cat "$1" 2>/dev/null)"
}
# stop_dnsmasq PID: end one dnsmasq started here (the pid stays in the
# list: killing it again at exit is harmless).
stop_dnsmasq() { [ -n "$1" ] && { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }; return 0; }
# lan_dhcp [ARGS...]: (re)start the LAN's DHCP server, which gives addresses
# and, like most routers, names itself as next server; ARGS are the options
# of a boot that needs more (the next server of the UEFI boot).
LAN_LOG="" LAN_PID="" LAN_N=0
lan_dhcp() {
	stop_dnsmasq "$LAN_PID"
	LAN_N=$((LAN_N + 1)) LAN_LOG=$VM_DIR/lan-dhcp-$LAN_N.log
	start_dnsmasq "$NS_DHCP" "$LAN_LOG" --conf-file=/dev/null --port=0 \
		--dhcp-range=192.168.1.100,192.168.1.199,1h "$@"
	LAN_PID=$!
	started "$LAN_LOG" 'DHCP, IP range' "$LAN_PID"
}
# rescue_server CONF WHAT: (re)start the rescue server with CONF; its log
# must say it serves DHCP as WHAT.
# Each start logs to a file of its own (rescue-server-N.log), so a failed
# boot's log is still there when a later boot restarts the server.
SRV_LOG="" SRV_PID="" SRV_N=0
rescue_server() {
	stop_dnsmasq "$SRV_PID"
	SRV_N=$((SRV_N + 1)) SRV_LOG=$VM_DIR/rescue-server-$SRV_N.log
	start_dnsmasq "$NS_SRV" "$SRV_LOG" --conf-file="$1"
	SRV_PID=$!
	started "$SRV_LOG" 'TFTP root is' "$SRV_PID"
	started "$SRV_LOG" "$2" "$SRV_PID"
}

# vm_start runs qemu-system-x86_64 by name in a background subshell; here it
# runs in the LAN's namespace, by exec so that the pid vm_start keeps is
# QEMU's own.
qemu-system-x86_64() { exec ip netns exec "$NS_LAN" qemu-system-x86_64 "$@"; }

# What the loaders print on ttyS0 when they cannot go on (as in iso-pxe).
FAILED='Could not find kernel image|Boot failed|error: file .* not found|grub( rescue)?> |BdsDxe: failed to load|No bootable option|Access Denied|Kernel panic'

# lan_boot NAME FIRMWARE MAC: start the guest with no disk, its virtio NIC
# on the LAN's tap first in the boot order. On OVMF the NIC has no option
# ROM: the firmware's own network stack boots, as on a real machine.
lan_boot() {
	local name=$1 fw=$2 mac=$3 rom=""
	iso_firmware "$name" "$fw"
	[ "$fw" = bios ] || rom=",romfile="
	SRV_SEEN=$(wc -l < "$SRV_LOG")
	vm_start "$name" 512 "${ISO_FW[@]}" \
		-netdev tap,id=n0,ifname=tap0,script=no,downscript=no \
		-device "virtio-net-pci,netdev=n0,mac=$mac,bootindex=0$rom"
}

# served FILE: the rescue server's log since this boot began shows FILE sent.
# (Not grep -q: under pipefail, tail killed by SIGPIPE when grep stops at
# the first match would fail the pipeline.)
served() { tail -n +"$((SRV_SEEN + 1))" "$SRV_LOG" | grep -F "sent $tftp/$1 to " >/dev/null; }

# wait_served NAME TIMEOUT FILE: until the rescue server has sent FILE.
wait_served() {
	local name=$1 deadline=$((SECONDS + $2)) file=$3
	until served "$file"; do
		if ! vm_alive || [ "$SECONDS" -ge "$deadline" ]; then
			vm_keep_log "$name: the rescue server did not send $file within $2s"
			echo "---- the rescue server's log since the boot began" >&2
			tail -n +"$((SRV_SEEN + 1))" "$SRV_LOG" | tail -n 40 | sed 's/^/    /' >&2
			return 1
		fi
		sleep 0.5
	done
}


# wizard_started NAME: the wizard's start on ttyS0 (sets WIZARD_AT) with init
# saying there is no RESCUE partition, and every file of the boot served.
wizard_started() {
	local name=$1 f
	wait_for "$name" 300 'RESCUE-WIZARD-START tty=ttyS0' "RESCUE-WIZARD-START on ttyS0" || return 1
	WIZARD_AT=$((SECONDS - VM_START))
	# The wizard starts before the devices have settled: init's lines about
	# the medium come later, up to RESCUE-READY.
	wait_for "$name" 60 'RESCUE-READY' "RESCUE-READY" || return 1
	grep -a -q 'no RESCUE partition' "$VM_LOG" || { vm_keep_log "$name: init did not say 'no RESCUE partition'"; return 1; }
	for f in vmlinuz initrd.img; do
		served "$f" || { vm_keep_log "$name: the rescue server's log does not show $f sent"; return 1; }
	done
}

boot_bios_9600() {
	rescue_server "$conf" 'DHCP, proxy on subnet 192.168.1.0'
	lan_dhcp
	lan_boot bios-9600 bios 52:54:00:00:96:00
	# The iPXE ROM sends user class iPXE: the recipe's dhcp-boot names
	# rescue.ipxe, the menu. iPXE draws it on the screen only (this guest
	# has none) and reads the keyboard: once the script is sent, the keys
	# go through QEMU's monitor to the guest's PS/2 keyboard; the BIOS
	# buffers them until the menu reads them, and a key also stops its 8 s
	# timeout. serial9600 is the third item.
	wait_served bios-9600 120 rescue.ipxe || return 1
	LOADER_AT=$((SECONDS - VM_START))
	sleep 1
	vm_monitor 'sendkey down'
	sleep 0.3
	vm_monitor 'sendkey down'
	sleep 0.3
	vm_monitor 'sendkey ret'
	log "bios-9600: rescue.ipxe sent after ${LOADER_AT}s; down, down, enter typed"
	wait_served bios-9600 60 serial9600.ipxe || return 1
	wizard_started bios-9600 || return 1
	tr -d '\r' < "$VM_LOG" | grep -a -q 'Command line:.*console=ttyS0,9600' \
		|| { vm_keep_log "bios-9600: the kernel's command line lacks console=ttyS0,9600"; return 1; }
	log "bios-9600: $(tr -d '\r' < "$VM_LOG" | grep -a -o 'Command line:.*' | head -n 1)"
	# The Welcome screen, drawn with cursor movements: rendered by tmux as
	# a terminal would, from the wizard's start on.
	local at tsock=$VM_DIR/tmux.sock i
	at=$(grep -a -b -o 'RESCUE-WIZARD-START tty=ttyS0' "$VM_LOG" | head -n 1 | cut -d: -f1)
	tmux -S "$tsock" new-session -d -s ser -x 80 -y 24 "tail -c +$((at + 1)) -f '$VM_LOG'"
	for ((i = 0; i < 300; i++)); do
		tmux -S "$tsock" capture-pane -p -t ser > "$VM_DIR/screen.txt" 2>/dev/null
		grep -q 'ttyS0 at 9600 baud' "$VM_DIR/screen.txt" && break
		vm_alive || break
		sleep 0.2
	done
	tmux -S "$tsock" kill-server 2>/dev/null
	grep -q 'ttyS0 at 9600 baud' "$VM_DIR/screen.txt" || {
		echo "--- screen:" >&2; cat "$VM_DIR/screen.txt" >&2
		vm_keep_log "bios-9600: the wizard's screen never said 'ttyS0 at 9600 baud'"; return 1
	}
	log "bios-9600: the wizard started on ttyS0 after ${WIZARD_AT}s; its screen: $(grep -o 'Console: [^|]*at 9600 baud' "$VM_DIR/screen.txt" | head -n 1)"
}

boot_uefi() {
	# Debian's signed network GRUB takes its TFTP server from the LAN's
	# DHCP answer (its next server), never from the proxy's: the page says
	# to name the rescue server there (an empty boot file name: dnsmasq's
	# form of "next server only").
	rescue_server "$conf" 'DHCP, proxy on subnet 192.168.1.0'
	lan_dhcp --dhcp-boot=,,192.168.1.2
	lan_boot uefi uefi 52:54:00:00:ef:64
	# Client arch 7: the recipe's x86-64_EFI service, bootx64.efi (shim),
	# which fetches grubx64.efi from beside itself; GRUB's menu comes from
	# grub/grub.cfg over TFTP and shows on the serial console.
	wait_for uefi 240 'the wizard on this screen' "GRUB menu" || return 1
	LOADER_AT=$((SECONDS - VM_START))
	local f
	grep -q 'next server: 192.168.1.2' "$LAN_LOG" \
		|| { vm_keep_log "uefi: the LAN's DHCP server did not name 192.168.1.2 as next server"; return 1; }
	for f in bootx64.efi grubx64.efi grub/grub.cfg; do
		served "$f" || { vm_keep_log "uefi: the rescue server's log does not show $f sent"; return 1; }
	done
	sleep 0.5
	printf s >&"$VM_SIN"
	log "uefi: GRUB's menu after ${LOADER_AT}s, entry 's' chosen"
	wizard_started uefi || return 1
	log "uefi: the wizard started on ttyS0 after ${WIZARD_AT}s"
}

# uefi-own (not run by default): the page's advice where the LAN's DHCP
# server cannot name the rescue server: UEFI machines on a network of their
# own, the recipe with addresses instead of proxy, no other DHCP server.
boot_uefi_own() {
	stop_dnsmasq "$LAN_PID"
	LAN_PID=""
	# The page's second block replaces the proxy's dhcp-range line.
	{
		grep -v -e '^dhcp-range=.*,proxy' -e '^pxe-service=.*x86-64_EFI' "$conf"
		sed -n '/^    # \/etc\/dnsmasq.d\/rescue.conf on a network of its own$/,/^$/p' "$doc" | sed -e '/^$/d' -e 's/^    //'
	} > "$VM_DIR/own.conf"
	grep -q '^dhcp-range=.*,' "$VM_DIR/own.conf" || die "no block for a network of its own in $doc"
	rescue_server "$VM_DIR/own.conf" 'DHCP, IP range 192.168.1.100'
	lan_boot uefi-own uefi 52:54:00:00:ef:65
	wait_for uefi-own 240 'the wizard on this screen' "GRUB menu" || return 1
	LOADER_AT=$((SECONDS - VM_START))
	sleep 0.5
	printf s >&"$VM_SIN"
	log "uefi-own: GRUB's menu after ${LOADER_AT}s, entry 's' chosen"
	wizard_started uefi-own || return 1
	log "uefi-own: the wizard started on ttyS0 after ${WIZARD_AT}s"
}

fails=0 n=0
boots=${PXE_DNSMASQ_BOOTS:-bios-9600 uefi}
for boot in $boots; do
	n=$((n + 1)) LOADER_AT="" WIZARD_AT=""
	log "boot $boot"
	if "boot_${boot//-/_}"; then
		vm_stop
		log "boot $boot: passed (${VM_ELAPSED}s)"
		printf 'TIMES iso-pxe-dnsmasq %s loader=%s wizard=%ss\n' "$boot" "${LOADER_AT:+${LOADER_AT}s}" "$WIZARD_AT"
	else
		vm_stop
		fails=$((fails + 1))
	fi
done
[ "$fails" -eq 0 ] || die "$fails of $n boots through the documented dnsmasq recipe failed"
echo "booted with no disk through docs/medium.md's dnsmasq recipe (proxy DHCP beside the LAN's DHCP server) $n times: $boots"
