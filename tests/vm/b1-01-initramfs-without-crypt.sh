#!/bin/bash
# VM scenario b1-01-initramfs-without-crypt: see scenarios/b1-01-initramfs-without-crypt/scenario.conf.
# vm-cost: 600 (seconds, two tests at a time, base image built: tests/run.sh starts the costliest first)
exec bash "$(dirname "$0")/lib/scenario.sh" b1-01-initramfs-without-crypt
