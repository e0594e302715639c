#!/bin/bash
# VM scenario b1-05-interrupted-kernel-install: see scenarios/b1-05-interrupted-kernel-install/scenario.conf.
# vm-cost: 420 (seconds with the base image built, for tests/run.sh's order)
exec bash "$(dirname "$0")/lib/scenario.sh" b1-05-interrupted-kernel-install
