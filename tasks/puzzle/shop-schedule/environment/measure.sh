#!/bin/sh
# Cost of the schedule for the seed-7 instance (makespan + 50 per hidden-rule violation);
# last stdout line is {"value": <cost>}.
exec python3 checker.py time
