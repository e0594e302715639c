#!/bin/bash
# VM scenario b2-07-esp-stub: see scenarios/b2-07-esp-stub/scenario.conf.
# vm-cost: 300 (seconds with the base image built, for tests/run.sh's order)
exec bash "$(dirname "$0")/lib/scenario.sh" b2-07-esp-stub
