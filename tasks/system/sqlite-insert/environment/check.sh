#!/bin/sh
# Correctness: several seeded loads (sizes that are not multiples of common batch sizes), each
# verified row by row from a fresh connection (uncommitted rows do not count).
set -e
python3 bench.py check 1 1
python3 bench.py check 2 777
python3 bench.py check 3 2501
