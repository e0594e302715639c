#!/bin/bash
# VM scenario b1-03-boot-full: see scenarios/b1-03-boot-full/scenario.conf.
exec bash "$(dirname "$0")/lib/scenario.sh" b1-03-boot-full
