#!/bin/bash
# VM scenario b3-06-initramfs-selinux-label: see scenarios/b3-06-initramfs-selinux-label/scenario.conf.
# vm-cost: 320 (seconds, two tests at a time, base image built: tests/run.sh starts the costliest first)
exec bash "$(dirname "$0")/lib/scenario.sh" b3-06-initramfs-selinux-label
