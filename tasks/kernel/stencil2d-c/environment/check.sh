#!/bin/sh
# Correctness on several seeded sizes and step counts (odd steps catch buffer-swap bugs).
set -e
./bench check 1 3 1
./bench check 2 37 5
./bench check 3 64 4
./bench check 4 129 3
