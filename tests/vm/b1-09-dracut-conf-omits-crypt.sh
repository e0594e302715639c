#!/bin/bash
# VM scenario b1-09-dracut-conf-omits-crypt: see scenarios/b1-09-dracut-conf-omits-crypt/scenario.conf.
# vm-cost: 700 (seconds, estimated, two tests at a time, base image built: tests/run.sh starts the costliest first)
exec bash "$(dirname "$0")/lib/scenario.sh" b1-09-dracut-conf-omits-crypt
