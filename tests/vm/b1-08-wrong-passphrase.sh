#!/bin/bash
# VM scenario b1-08-wrong-passphrase: see scenarios/b1-08-wrong-passphrase/scenario.conf.
exec bash "$(dirname "$0")/lib/scenario.sh" b1-08-wrong-passphrase
