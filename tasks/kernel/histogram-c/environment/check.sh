#!/bin/sh
# Correctness on several seeded sizes and bin counts; every edge value is in the input.
set -e
./bench check 1 1000 7
./bench check 2 100003 256
./bench check 3 5000 1000
./bench check 4 77 1
