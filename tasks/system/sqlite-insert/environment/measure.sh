#!/bin/sh
# One timed load of 4000 rows (the AGENTDYNO_SEED input) into a fresh database, then the rows read
# back and digested by a process that never imports loader.py; last stdout line is {"value": <rows/s>}.
set -e
python3 bench.py time 4000
exec python3 bench.py verify 4000
