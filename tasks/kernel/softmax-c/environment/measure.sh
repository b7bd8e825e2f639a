#!/bin/sh
# One timed softmax over 2048 rows x 1024 columns; last stdout line is {"value": <ms>}.
exec ./bench time 2048 1024
