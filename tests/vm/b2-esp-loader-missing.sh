#!/bin/bash
# VM scenario b2-esp-loader-missing: see scenarios/b2-esp-loader-missing/scenario.conf.
# vm-cost: 210 (seconds, two tests at a time, base image built: tests/run.sh starts the costliest first)
exec bash "$(dirname "$0")/lib/scenario.sh" b2-esp-loader-missing
