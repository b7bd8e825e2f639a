#!/bin/sh
# The schedule solver.py returns for the AGENTDYNO_SEED instance, then checked and costed
# (makespan + 50 per hidden-rule violation) by a process that never imports solver.py
# (checker.py score); last stdout line is {"value": <cost>}.
set -e
python3 checker.py time
exec python3 checker.py score
