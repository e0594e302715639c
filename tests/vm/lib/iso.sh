# The rescue medium in the VM tier (sourced after harness.sh): build the ISO
# and boot it as a CD or a USB disk, on SeaBIOS, OVMF or OVMF with Secure
# Boot enforcing (Microsoft's keys enrolled), and pick a boot menu entry by
# its hotkey on the serial console.

OVMF_DIR=${OVMF_DIR:-/usr/share/OVMF}

# rescue_iso: build (or reuse: make decides by its inputs) the ISO for
# $RESCUE_PLAIN; sets RESCUE_ISO. Serialised with the rescue image.
rescue_iso() {
	[ -x "$RESCUE_PLAIN" ] || die "no rescue binary at $RESCUE_PLAIN (run make)"
	local b
	b=$(dirname "$RESCUE_PLAIN")
	mkdir -p "$b"
	flock "$b/.rescue-image.lock" make -s -C "$RESCUE_SRC/iso" iso BUILD="$b" >&2 \
		|| die "make iso failed"
	RESCUE_ISO=$b/rescue.iso
	RESCUE_KERNEL=$b/rescue-image/vmlinuz
	RESCUE_INITRD=$b/rescue-image/initrd.img
}

# iso_firmware NAME bios|uefi|secboot: QEMU arguments for the machine and its
# firmware into ISO_FW (a fresh copy of the variable store per boot).
iso_firmware() {
	local name=$1 fw=$2 code vars
	case $fw in
	bios) ISO_FW=(-machine q35) ; return 0 ;;
	uefi) code=$OVMF_DIR/OVMF_CODE_4M.fd vars=$OVMF_DIR/OVMF_VARS_4M.fd
		ISO_FW=(-machine q35) ;;
	secboot)
		# The Secure Boot build keeps its variables in SMM-protected flash;
		# the .ms variable store has Microsoft's keys and Secure Boot on.
		code=$OVMF_DIR/OVMF_CODE_4M.secboot.fd vars=$OVMF_DIR/OVMF_VARS_4M.ms.fd
		ISO_FW=(-machine q35,smm=on -global driver=cfi.pflash01,property=secure,value=on) ;;
	*) die "iso_firmware: unknown firmware $fw" ;;
	esac
	[ -r "$code" ] && [ -r "$vars" ] || die "no $code / $vars (Debian package ovmf)"
	cp "$vars" "$VM_DIR/$name.vars.fd"
	ISO_FW+=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$code"
		-drive "if=pflash,format=raw,unit=1,file=$VM_DIR/$name.vars.fd")
}

# iso_media cd|usb FILE: QEMU arguments that attach FILE (the ISO, or for a
# USB disk a raw copy or qcow2 overlay of it) as the first boot device, into
# ISO_MEDIA.
iso_media() {
	local fmt=raw
	case $2 in *.qcow2) fmt=qcow2 ;; esac
	case $1 in
	cd) ISO_MEDIA=(-drive "file=$2,format=$fmt,if=none,id=medium,media=cdrom,readonly=on"
		-device ide-cd,drive=medium,bootindex=0) ;;
	usb) ISO_MEDIA=(-device qemu-xhci,id=xhci -drive "file=$2,format=$fmt,if=none,id=medium"
		-device usb-storage,bus=xhci.0,drive=medium,bootindex=0) ;;
	*) die "iso_media: unknown medium $1" ;;
	esac
}

# iso_boot NAME MEM-MB FIRMWARE MEDIUM FILE HOTKEY [QEMU-ARGS...]: start the
# VM and choose the boot menu entry with HOTKEY once the menu shows on the
# serial console. Returns 1 when no menu appeared within 120 s.
iso_boot() {
	local name=$1 mem=$2 fw=$3 medium=$4 file=$5 key=$6; shift 6
	iso_firmware "$name" "$fw"
	iso_media "$medium" "$file"
	vm_start "$name" "$mem" "${ISO_FW[@]}" "${ISO_MEDIA[@]}" "$@"
	vm_wait 120 'the wizard on this screen' >/dev/null || return 1
	ISO_MENU_AT=$((SECONDS - VM_START))
	sleep 0.5
	printf '%s' "$key" >&"$VM_SIN"
	return 0
}

# iso_part_offset IMAGE N: byte offset of partition N of a raw image.
iso_part_offset() {
	local start
	start=$(sfdisk -d "$1" 2>/dev/null | sed -n "s|^$1$2 *: *start= *\([0-9]*\),.*|\1|p")
	[ -n "$start" ] || return 1
	echo $((start * 512))
}

# wait_for NAME TIMEOUT REGEX WHAT: waits for REGEX on the serial console of
# the running guest; on a match of the caller's $FAILED, a timeout or QEMU's
# exit, keeps the log with the reason and returns 1.
wait_for() {
	local name=$1 timeout=$2 re=$3 what=$4 r
	r=$(vm_wait "$timeout" "$re" "$FAILED")
	case $?:$r in
	0:1) return 0 ;;
	0:2) vm_keep_log "$name: $what: the boot failed: $(grep -a -o -E -- "$FAILED" "$VM_LOG" | head -n 1 | tr -d '\r')" ;;
	1:*) vm_keep_log "$name: no $what within ${timeout}s" ;;
	*) vm_keep_log "$name: QEMU exited before $what" ;;
	esac
	return 1
}
