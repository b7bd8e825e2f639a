#!/bin/sh
# Correctness at several limits (small ones catch off-by-one and cache-boundary bugs).
set -e
./collatz check 2
./collatz check 10
./collatz check 9999
./collatz check 54321
