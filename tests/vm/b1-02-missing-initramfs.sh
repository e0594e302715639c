#!/bin/bash
# VM scenario b1-02-missing-initramfs: see scenarios/b1-02-missing-initramfs/scenario.conf.
# vm-cost: 1100 (seconds with the base image built, for tests/run.sh's order)
exec bash "$(dirname "$0")/lib/scenario.sh" b1-02-missing-initramfs
