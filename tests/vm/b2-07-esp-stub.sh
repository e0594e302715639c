#!/bin/bash
# VM scenario b2-07-esp-stub: see scenarios/b2-07-esp-stub/scenario.conf.
exec bash "$(dirname "$0")/lib/scenario.sh" b2-07-esp-stub
