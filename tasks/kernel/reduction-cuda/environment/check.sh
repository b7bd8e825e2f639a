#!/bin/sh
# Correctness on several seeded lengths (0, 1 and odd lengths catch tail and grid-size bugs).
set -e
./bench check 1 0
./bench check 2 1
./bench check 3 1001
./bench check 4 65537
./bench check 5 3000017
