#!/bin/sh
# One timed compress + decompress of the seed-42 corpus; last stdout line is {"value": <cost_ms>}.
exec python3 bench.py time
