#!/bin/sh
# One timed multiplication of 256x256; last stdout line is {"value": <ms>}.
exec ./bench time 256
