#!/bin/bash
# VM scenario b1-09-dracut-conf-omits-crypt: see scenarios/b1-09-dracut-conf-omits-crypt/scenario.conf.
# vm-cost: 900 (seconds, measured 2026-12-02 at load average 5-7, broken image not cached: break 250, negative 52, rescue step with undo and (then) a second repair 483, positive boot 113; the second repair is gone since 2026-12-03 (the undo runs on a snapshot), about 200 s less; two tests at a time, base image built: tests/run.sh starts the costliest first)
exec bash "$(dirname "$0")/lib/scenario.sh" b1-09-dracut-conf-omits-crypt
