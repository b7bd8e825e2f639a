#!/bin/sh
# Correctness: every chunk round-trips and every spec is valid, on three seeded corpora.
set -e
python3 bench.py check 1
python3 bench.py check 2
python3 bench.py check 3
