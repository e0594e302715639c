#!/bin/bash
# VM scenario b1-04-grub-stale-root-uuid: see scenarios/b1-04-grub-stale-root-uuid/scenario.conf.
# vm-cost: 520 (seconds with the base image built, for tests/run.sh's order)
exec bash "$(dirname "$0")/lib/scenario.sh" b1-04-grub-stale-root-uuid
