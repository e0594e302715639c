#!/bin/bash
# VM scenario b1-04-grub-stale-root-uuid: see scenarios/b1-04-grub-stale-root-uuid/scenario.conf.
# vm-cost: 480 (seconds, two tests at a time, base image built: tests/run.sh starts the costliest first)
exec bash "$(dirname "$0")/lib/scenario.sh" b1-04-grub-stale-root-uuid
