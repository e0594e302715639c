#!/bin/bash
# VM scenario b2-07-esp-stub: see scenarios/b2-07-esp-stub/scenario.conf.
# vm-cost: 300 (seconds, two tests at a time, base image built: tests/run.sh starts the costliest first)
exec bash "$(dirname "$0")/lib/scenario.sh" b2-07-esp-stub
