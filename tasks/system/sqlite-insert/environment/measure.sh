#!/bin/sh
# One timed load of 4000 rows into a fresh database; last stdout line is {"value": <rows/s>}.
exec python3 bench.py time 4000
