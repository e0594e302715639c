#!/bin/bash
# VM scenario b1-grub-core-damaged: see scenarios/b1-grub-core-damaged/scenario.conf.
# vm-cost: 420 (seconds, two tests at a time, base image built: tests/run.sh starts the costliest first)
exec bash "$(dirname "$0")/lib/scenario.sh" b1-grub-core-damaged
