#!/bin/bash
# VM scenario b1-04-grub-stale-root-uuid: see scenarios/b1-04-grub-stale-root-uuid/scenario.conf.
exec bash "$(dirname "$0")/lib/scenario.sh" b1-04-grub-stale-root-uuid
