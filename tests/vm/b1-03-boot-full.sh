#!/bin/bash
# VM scenario b1-03-boot-full: see scenarios/b1-03-boot-full/scenario.conf.
# vm-cost: 700 (seconds with the base image built, for tests/run.sh's order)
exec bash "$(dirname "$0")/lib/scenario.sh" b1-03-boot-full
