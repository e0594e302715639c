#!/bin/bash
# rescue scan --root on the fake installed systems in tests/fixtures/roots:
# one tree per distribution family, shaped like a real install (merged /usr,
# each family's kernel and initramfs names, its boot loader files). Checks
# what the JSON report says about each, and that the scan leaves the trees
# exactly as they were (discovery never writes).
set -u
: "${RESCUE:?RESCUE must name the binary under test}"
src=${RESCUE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
roots=$src/tests/fixtures/roots
command -v jq >/dev/null || { echo "jq is not installed"; exit 77; }
[ -x "$RESCUE" ] || { echo "$RESCUE not built"; exit 77; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0 checks=0

# Contents, modes and symlink targets of a tree, for before/after.
tree_sum() {
	(cd "$1" && find . -printf '%p %y %m %s %l\n' | LC_ALL=C sort && find . -type f -print0 | LC_ALL=C sort -z |
		xargs -0 sha256sum) | sha256sum
}

scan() { # name
	local before
	before=$(tree_sum "$roots/$1")
	"$RESCUE" scan --root "$roots/$1" --json >"$tmp/$1.json" 2>"$tmp/$1.err"
	local rc=$?
	checks=$((checks + 1))
	if [ $rc -ne 0 ]; then
		echo "FAIL $1: exit $rc (expected 0)"; sed 's/^/  | /' "$tmp/$1.err"; failures=$((failures + 1))
	fi
	if ! jq -e . "$tmp/$1.json" >/dev/null 2>&1; then
		echo "FAIL $1: output is not JSON"; failures=$((failures + 1)); return
	fi
	checks=$((checks + 1))
	if [ "$(tree_sum "$roots/$1")" != "$before" ]; then
		echo "FAIL $1: the scan changed the tree"; failures=$((failures + 1))
	fi
}

# expect NAME 'jq expression on .systems[0] that must be true' [description]
expect() {
	local name=$1 expr=$2
	checks=$((checks + 1))
	if ! jq -e ".systems[0] as \$s | \$s | $expr" "$tmp/$name.json" >/dev/null 2>&1; then
		echo "FAIL $name: ${3:-$expr}"
		echo "  expression: $expr"
		failures=$((failures + 1))
	fi
}

kernel() { # version -> jq filter selecting that kernel
	printf '(.kernels[] | select(.version == "%s"))' "$1"
}

# ---- Debian 12: LVM on LUKS, separate /boot, UEFI stub + BIOS core.img
scan debian
expect debian '.id == "debian-12" and .os_release.ID == "debian" and .profile == "debian"'
expect debian '.generator == "initramfs-tools"' 'update-initramfs found through /usr/sbin (sbin -> usr/sbin)'
expect debian '[.kernels[].version] == ["6.1.0-13-amd64","6.1.0-12-amd64","6.1.0-11-amd64","6.1.0-10-amd64"]' \
	'kernels sorted newest first, including one known only by its modules tree'
expect debian "$(kernel 6.1.0-13-amd64) | .image == \"/boot/vmlinuz-6.1.0-13-amd64\" and .initramfs == \"/boot/initrd.img-6.1.0-13-amd64\" and .modules and .config"
expect debian "$(kernel 6.1.0-12-amd64) | .initramfs == null and .modules" 'missing initrd.img is reported as null'
expect debian "$(kernel 6.1.0-11-amd64) | .initramfs != null and (.modules | not)" 'missing modules tree is reported'
expect debian "$(kernel 6.1.0-10-amd64) | .image == null and .modules" 'modules tree without a kernel image'
expect debian '.bootloader.type == "grub-bios+efi" and .bootloader.grub_cfg == "/boot/grub/grub.cfg" and (.bootloader.bls | not)'
expect debian '.bootloader.esp_grub_cfg == "/EFI/debian/grub.cfg" and .bootloader.esp_grub_cfg_kind == "stub" and .bootloader.esp_stub_uuid == "2b0e6d5c-7f1a-4c3e-9d8b-5a4f3e2d1c0b"'
expect debian '[.bootloader.entries[].title] == ["Debian GNU/Linux","Debian GNU/Linux, with Linux 6.1.0-13-amd64","Debian GNU/Linux, with Linux 6.1.0-13-amd64 (recovery mode)","Debian GNU/Linux, with Linux 6.1.0-12-amd64","Debian GNU/Linux, with Linux 6.1.0-11-amd64","UEFI Firmware Settings"]' \
	'grub.cfg entries, submenu included'
expect debian '(.bootloader.entries[] | select(.title == "Debian GNU/Linux, with Linux 6.1.0-12-amd64") | .initrd == null and .linux == "/vmlinuz-6.1.0-12-amd64")'
expect debian '.bootloader.entries[0].options == "root=/dev/mapper/vg0-root ro quiet" and .bootloader.entries[0].initrd == "/initrd.img-6.1.0-13-amd64"'
expect debian '.bootloader.default_grub.GRUB_CMDLINE_LINUX_DEFAULT == "quiet" and .bootloader.default_grub.GRUB_TIMEOUT == "5"'
expect debian '[.fstab[].spec] == ["/dev/mapper/vg0-root","UUID=2b0e6d5c-7f1a-4c3e-9d8b-5a4f3e2d1c0b","UUID=5C1A-3F2E","/dev/mapper/vg0-swap_1","/dev/sr0"]'
expect debian '.fstab[4].fstype == "udf,iso9660" and .fstab[4].options == "user,noauto"'
expect debian '.crypttab == [{"name":"vda3_crypt","device_spec":"UUID=8d3c4b2a-1e0f-4a9b-8c7d-6e5f4a3b2c1d","keyfile":null,"options":"luks,discard","device":null}]'
expect debian '.selinux.mode == null and (.selinux.policy_present | not)'

# ---- Fedora 39: btrfs on LUKS, BLS, UEFI with the grub2 stub on the ESP, SELinux
M=3f9a2c1e8b7d4e6fa0c1d2e3f4a5b6c7
scan fedora
expect fedora '.id == "fedora-39" and .profile == "fedora" and .generator == "dracut"'
expect fedora '[.kernels[].version] == ["6.5.12-300.fc39.x86_64","6.5.6-300.fc39.x86_64","0-rescue-'$M'"]'
expect fedora "$(kernel 6.5.12-300.fc39.x86_64) | .initramfs == \"/boot/initramfs-6.5.12-300.fc39.x86_64.img\" and .modules"
expect fedora "$(kernel 0-rescue-$M) | .initramfs == \"/boot/initramfs-0-rescue-$M.img\" and (.modules | not)" \
	'the rescue kernel has its image but no modules tree'
expect fedora '.bootloader.type == "grub-efi" and .bootloader.grub_cfg == "/boot/grub2/grub.cfg" and .bootloader.bls'
expect fedora '.bootloader.esp_grub_cfg == "/EFI/fedora/grub.cfg" and .bootloader.esp_grub_cfg_kind == "stub" and .bootloader.esp_stub_uuid == "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"'
expect fedora '[.bootloader.entries[] | select(.source | endswith(".conf")) | .linux] | sort == ["/vmlinuz-0-rescue-'$M'","/vmlinuz-6.5.12-300.fc39.x86_64","/vmlinuz-6.5.6-300.fc39.x86_64"]' \
	'every BLS entry read'
expect fedora '(.bootloader.entries[] | select(.source == "'$M'-6.5.12-300.fc39.x86_64.conf")) | .title == "Fedora Linux (6.5.12-300.fc39.x86_64) 39 (Workstation Edition)" and .initrd == "/initramfs-6.5.12-300.fc39.x86_64.img" and (.options | startswith("root=UUID=c4b3a291-8f7e-4d6c-b5a4-93827160f5e4 ro rootflags=subvol=root"))'
expect fedora '[.bootloader.entries[] | select(.source == "/boot/grub2/grub.cfg") | .title] == ["UEFI Firmware Settings"]' \
	'a blscfg grub.cfg carries only the firmware entry'
expect fedora '.bootloader.default_grub.GRUB_ENABLE_BLSCFG == "true" and (.bootloader.default_grub.GRUB_DISTRIBUTOR | startswith("$(sed"))' \
	'command substitution in /etc/default/grub is kept as text, never run'
expect fedora '.selinux == {"mode":"enforcing","type":"targeted","policy_present":true}'
expect fedora '[.fstab[].target] == ["/","/boot","/boot/efi","/home"] and .fstab[0].options == "subvol=root,compress=zstd:1,x-systemd.device-timeout=0"'
expect fedora '.crypttab[0].name == "luks-6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d" and .crypttab[0].keyfile == null and .crypttab[0].options == "discard"'

# ---- RHEL 9.3: xfs on LVM, BIOS, BLS, SELinux; profile by ID
scan rhel
expect rhel '.id == "rhel-9.3" and .os_release.ID_LIKE == "fedora" and .profile == "fedora" and .generator == "dracut"'
expect rhel '[.kernels[] | [.version, .initramfs, .modules]] == [["5.14.0-362.8.1.el9_3.x86_64","/boot/initramfs-5.14.0-362.8.1.el9_3.x86_64.img",true],["5.14.0-284.30.1.el9_2.x86_64","/boot/initramfs-5.14.0-284.30.1.el9_2.x86_64.img",true]]' \
	'the kdump image is not taken for a kernel'
expect rhel '.bootloader.type == "grub-bios" and .bootloader.grub_cfg == "/boot/grub2/grub.cfg" and .bootloader.bls and .bootloader.esp_grub_cfg == null'
expect rhel '[.bootloader.entries[] | select(.source | endswith(".conf")) | .initrd] | sort == ["/initramfs-5.14.0-284.30.1.el9_2.x86_64.img","/initramfs-5.14.0-362.8.1.el9_3.x86_64.img"]' \
	'the $tuned_initrd variable on the initrd line is not taken for the image'
expect rhel '.selinux.mode == "enforcing" and .selinux.policy_present'
expect rhel '[.fstab[].spec] == ["/dev/mapper/rhel-root","UUID=0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0","/dev/mapper/rhel-home","/dev/mapper/rhel-swap"] and .crypttab == []'

# ---- Ubuntu 22.04: ID_LIKE=debian, /boot/vmlinuz symlinks beside the versioned files
scan ubuntu
expect ubuntu '.id == "ubuntu-22.04" and .profile == "debian" and .generator == "initramfs-tools"'
expect ubuntu '[.kernels[] | [.version, .image, .initramfs, .modules]] == [["6.2.0-37-generic","/boot/vmlinuz-6.2.0-37-generic","/boot/initrd.img-6.2.0-37-generic",true],["6.2.0-36-generic","/boot/vmlinuz-6.2.0-36-generic","/boot/initrd.img-6.2.0-36-generic",true]]' \
	'the vmlinuz/vmlinuz.old symlinks are not kernels of their own'
expect ubuntu '.bootloader.type == "grub-bios+efi" and .bootloader.esp_grub_cfg_kind == "stub" and .bootloader.esp_stub_uuid == "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"'
expect ubuntu '[.bootloader.entries[].title] == ["Ubuntu","Ubuntu, with Linux 6.2.0-37-generic","Ubuntu, with Linux 6.2.0-36-generic","Memory test (memtest86+x64.efi)"]'
expect ubuntu '.bootloader.default_grub.GRUB_CMDLINE_LINUX_DEFAULT == "quiet splash" and .bootloader.default_grub.GRUB_CMDLINE_LINUX == ""'
expect ubuntu '.bootloader.default_grub.GRUB_DISTRIBUTOR == "`lsb_release -i -s 2> /dev/null || echo Debian`"' \
	'a backquoted command is kept whole, as text'
expect ubuntu '.crypttab[0].name == "nvme0n1p3_crypt" and .crypttab[0].options == "luks,discard"'
expect ubuntu '(.bootloader.bls | not) and .selinux == {"mode":null,"type":null,"policy_present":false}'

# ---- Arch: kernels named by package, versions from the modules' pkgbase
scan arch
expect arch '.id == "arch" and .profile == "arch" and .generator == "mkinitcpio"'
expect arch '[.kernels[] | [.version, .image, .initramfs, .modules]] == [["6.6.1-arch1-1","/boot/vmlinuz-linux","/boot/initramfs-linux.img",true],["6.1.62-1-lts","/boot/vmlinuz-linux-lts","/boot/initramfs-linux-lts.img",true]]'
expect arch '.bootloader.type == "grub-bios" and .bootloader.grub_cfg == "/boot/grub/grub.cfg"'
expect arch '.bootloader.entries[0].initrd == "/initramfs-linux.img" and .bootloader.entries[0].linux == "/vmlinuz-linux"' \
	'the microcode image before the main one is not taken for it'
expect arch '[.fstab[].spec] == ["UUID=3e2d1c0b-9a8f-4e7d-b6c5-a4b3c2d1e0f9","PARTUUID=8c7b6a59-4837-4261-9f0e-d1c2b3a4f5e6","LABEL=home","LABEL=Media Disk","/swapfile"]' \
	'UUID, PARTUUID and LABEL specs; \040 unescaped'
expect arch '.fstab[3].target == "/mnt/media disk" and .fstab[3].options == "rw,relatime,nofail"'
expect arch '.crypttab == [{"name":"home","device_spec":"UUID=4d5e6f70-8192-4a3b-bc4d-5e6f708192a3","keyfile":"/etc/cryptsetup-keys.d/home.key","options":null,"device":null}]' \
	'commented examples skipped; key file kept'
expect arch '(.bootloader.bls | not) and .selinux == {"mode":null,"type":null,"policy_present":false}'

# ---- openSUSE Tumbleweed: ID_LIKE match, initrd-K names, an absolute etc/os-release link
scan opensuse
expect opensuse '.os_release.ID == "opensuse-tumbleweed" and .profile == "opensuse" and .generator == "dracut"' \
	'etc/os-release -> /usr/lib/os-release resolved inside the root'
expect opensuse '[.kernels[] | [.version, .initramfs, .modules]] == [["6.6.1-1-default","/boot/initrd-6.6.1-1-default",true],["6.5.9-1-default","/boot/initrd-6.5.9-1-default",true]]'
expect opensuse '.bootloader.grub_cfg == "/boot/grub2/grub.cfg" and .bootloader.esp_grub_cfg == "/EFI/opensuse/grub.cfg" and .bootloader.esp_grub_cfg_kind == "stub" and .bootloader.esp_stub_uuid == "1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d"'
expect opensuse '[.bootloader.entries[] | [.title, .linux, .initrd]] == [["openSUSE Tumbleweed","/boot/vmlinuz-6.6.1-1-default","/boot/initrd-6.6.1-1-default"],["openSUSE Tumbleweed, with Linux 6.5.9-1-default","/boot/vmlinuz-6.5.9-1-default","/boot/initrd-6.5.9-1-default"]]' \
	'linuxefi/initrdefi lines'
expect opensuse '(.fstab | length) == 13 and .fstab[1].options == "subvol=/@/var" and .fstab[12].fstype == "swap"'
expect opensuse '[.crypttab[] | .options] == ["x-initrd.attach","x-initrd.attach"]'
expect opensuse '(.bootloader.bls | not) and .selinux == {"mode":null,"type":null,"policy_present":false}'

# ---- text output names every system's kernels too (smoke)
checks=$((checks + 1))
if ! "$RESCUE" scan --root "$roots/debian" 2>&1 | grep -q 'kernel *6.1.0-12-amd64 .*initramfs MISSING'; then
	echo "FAIL debian: text output does not flag the missing initramfs"; failures=$((failures + 1))
fi

echo "$checks checks, $failures failed"
[ "$failures" -eq 0 ]
