#!/bin/sh
# One timed run: 768 x 768 grid, 8 sweeps; last stdout line is {"value": <ms>}.
exec ./bench time 768 8
