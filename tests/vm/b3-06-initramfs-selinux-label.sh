#!/bin/bash
# VM scenario b3-06-initramfs-selinux-label: see scenarios/b3-06-initramfs-selinux-label/scenario.conf.
exec bash "$(dirname "$0")/lib/scenario.sh" b3-06-initramfs-selinux-label
