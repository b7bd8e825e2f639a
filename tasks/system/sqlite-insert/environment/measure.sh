#!/bin/sh
# One timed load of 3000 rows into a fresh database; last stdout line is {"value": <rows/s>}.
exec python3 bench.py time 3000
