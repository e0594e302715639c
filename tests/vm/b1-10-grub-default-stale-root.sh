#!/bin/bash
# VM scenario b1-10-grub-default-stale-root: see scenarios/b1-10-grub-default-stale-root/scenario.conf.
# vm-cost: 540 (seconds, measured 539 with the broken image built, another guest beside it, two tests at a time, base image built: tests/run.sh starts the costliest first)
exec bash "$(dirname "$0")/lib/scenario.sh" b1-10-grub-default-stale-root
