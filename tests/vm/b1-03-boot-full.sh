#!/bin/bash
# VM scenario b1-03-boot-full: see scenarios/b1-03-boot-full/scenario.conf.
# vm-cost: 450 (seconds, two tests at a time, base image built: tests/run.sh starts the costliest first)
exec bash "$(dirname "$0")/lib/scenario.sh" b1-03-boot-full
