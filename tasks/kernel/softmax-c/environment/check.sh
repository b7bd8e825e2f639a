#!/bin/sh
# Correctness on several seeded shapes (odd widths catch vector-tail bugs).
set -e
./bench check 1 7 1
./bench check 2 33 257
./bench check 3 64 1000
./bench check 4 5 4099
