#!/bin/bash
# VM scenario b2-02-missing-initramfs: see scenarios/b2-02-missing-initramfs/scenario.conf.
# vm-cost: 400 (seconds with the base image built, for tests/run.sh's order)
exec bash "$(dirname "$0")/lib/scenario.sh" b2-02-missing-initramfs
