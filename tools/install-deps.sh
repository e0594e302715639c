#!/bin/sh
# Install every Debian package that building, testing and the demo need.
# Idempotent: packages already present are left alone. Run as root.
set -eu

BUILD="build-essential pkg-config clang llvm
 libblkid-dev libmount-dev libcryptsetup-dev libdevmapper-dev libkmod-dev
 libncurses-dev libjson-c-dev libselinux1-dev libcmocka-dev
 zlib1g-dev liblzma-dev libzstd-dev liblz4-dev libbz2-dev liblzo2-dev"

# Real tools the loop and VM tiers drive, and the reference tools the
# tests and benchmarks compare against. dnsmasq-base, not dnsmasq: the binary
# for the network boot test, without a service started on this host.
TOOLS="util-linux fdisk e2fsprogs xfsprogs btrfs-progs dosfstools cryptsetup-bin
 lvm2 mdadm kmod cpio gzip xz-utils zstd lz4 bzip2 lzop squashfs-tools
 mmdebstrap dracut-core os-prober qemu-system-x86 qemu-utils ovmf
 busybox-static hyperfine jq python3 mtools attr tmux
 xorriso grub-common dnsmasq-base"

missing=""
for p in $BUILD $TOOLS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' \
		|| missing="$missing $p"
done
[ -z "$missing" ] && { echo "install-deps: all packages present"; exit 0; }

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing; run this script as root" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# dracut-core, not dracut: the full package would replace the host's
# initramfs-tools and regenerate the host's own images.
apt-get install -y -qq --no-install-recommends $missing
