#!/bin/sh
# Correctness on several seeded sizes (odd sizes catch tiling edge bugs).
set -e
./bench check 1 67
./bench check 2 128
./bench check 3 33
