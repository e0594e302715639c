#!/bin/bash
# VM scenario b1-05-interrupted-kernel-install: see scenarios/b1-05-interrupted-kernel-install/scenario.conf.
exec bash "$(dirname "$0")/lib/scenario.sh" b1-05-interrupted-kernel-install
