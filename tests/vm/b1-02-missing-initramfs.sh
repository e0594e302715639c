#!/bin/bash
# VM scenario b1-02-missing-initramfs: see scenarios/b1-02-missing-initramfs/scenario.conf.
exec bash "$(dirname "$0")/lib/scenario.sh" b1-02-missing-initramfs
