#!/bin/sh
# Sum of squares of 16M floats (64 MB) on the GPU; last stdout line is {"value": <ms>}.
exec ./bench time 16000000
