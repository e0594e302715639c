#!/bin/bash
# VM scenario b3-06-initramfs-selinux-label: see scenarios/b3-06-initramfs-selinux-label/scenario.conf.
# vm-cost: 600 (seconds with the base image built, for tests/run.sh's order)
exec bash "$(dirname "$0")/lib/scenario.sh" b3-06-initramfs-selinux-label
