#!/bin/bash
# VM scenario b1-08-wrong-passphrase: see scenarios/b1-08-wrong-passphrase/scenario.conf.
# vm-cost: 220 (seconds, two tests at a time, base image built: tests/run.sh starts the costliest first)
exec bash "$(dirname "$0")/lib/scenario.sh" b1-08-wrong-passphrase
