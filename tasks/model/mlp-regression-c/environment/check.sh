#!/bin/sh
# Sanity on three seeds: training finishes within the limit, predictions are finite and beat the mean.
set -e
./fit check 1
./fit check 2
./fit check 3
