#!/bin/bash
# VM scenario b2-02-missing-initramfs: see scenarios/b2-02-missing-initramfs/scenario.conf.
# vm-cost: 450 (seconds, two tests at a time, base image built: tests/run.sh starts the costliest first)
exec bash "$(dirname "$0")/lib/scenario.sh" b2-02-missing-initramfs
