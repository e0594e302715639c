#!/bin/bash
# VM scenario b2-02-missing-initramfs: see scenarios/b2-02-missing-initramfs/scenario.conf.
exec bash "$(dirname "$0")/lib/scenario.sh" b2-02-missing-initramfs
