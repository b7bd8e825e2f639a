#!/bin/sh
# Correctness: the schedule is well-formed (hard rules) on three seeded instances.
set -e
python3 checker.py check 1
python3 checker.py check 2
python3 checker.py check 3
