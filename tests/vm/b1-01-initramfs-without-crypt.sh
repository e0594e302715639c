#!/bin/bash
# VM scenario b1-01-initramfs-without-crypt: see scenarios/b1-01-initramfs-without-crypt/scenario.conf.
# vm-cost: 650 (seconds with the base image built, for tests/run.sh's order)
exec bash "$(dirname "$0")/lib/scenario.sh" b1-01-initramfs-without-crypt
