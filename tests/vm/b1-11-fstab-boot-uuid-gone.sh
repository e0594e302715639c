#!/bin/bash
# VM scenario b1-11-fstab-boot-uuid-gone: see scenarios/b1-11-fstab-boot-uuid-gone/scenario.conf.
# vm-cost: 520 (seconds, measured 521 with the broken image built, another guest beside it, two tests at a time, base image built: tests/run.sh starts the costliest first)
exec bash "$(dirname "$0")/lib/scenario.sh" b1-11-fstab-boot-uuid-gone
