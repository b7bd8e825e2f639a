#!/bin/sh
# One timed compression of the AGENTDYNO_SEED corpus with codec.py's choices, then decompression,
# round-trip check and digest in a process that never imports codec.py (bench.py verify);
# last stdout line is {"value": <cost_ms>}.
set -e
python3 bench.py time
exec python3 bench.py verify
