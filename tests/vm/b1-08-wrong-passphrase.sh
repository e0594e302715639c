#!/bin/bash
# VM scenario b1-08-wrong-passphrase: see scenarios/b1-08-wrong-passphrase/scenario.conf.
# vm-cost: 250 (seconds with the base image built, for tests/run.sh's order)
exec bash "$(dirname "$0")/lib/scenario.sh" b1-08-wrong-passphrase
