#!/bin/sh
# One timed search below 300000; last stdout line is {"value": <ms>}.
exec ./collatz time 300000
