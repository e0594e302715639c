#!/bin/bash
# VM scenario b1-01-initramfs-without-crypt: see scenarios/b1-01-initramfs-without-crypt/scenario.conf.
exec bash "$(dirname "$0")/lib/scenario.sh" b1-01-initramfs-without-crypt
