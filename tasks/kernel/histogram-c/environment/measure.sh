#!/bin/sh
# One timed histogram of 2M floats into 256 bins; last stdout line is {"value": <ms>}.
exec ./bench time 2000000 256
