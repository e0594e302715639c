#!/bin/bash
# VM scenario b2-nvram-entry-dead: see scenarios/b2-nvram-entry-dead/scenario.conf.
# vm-cost: 250 (seconds, two tests at a time, base image built: tests/run.sh starts the costliest first)
exec bash "$(dirname "$0")/lib/scenario.sh" b2-nvram-entry-dead
