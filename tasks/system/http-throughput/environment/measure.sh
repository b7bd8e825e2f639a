#!/bin/sh
# One timed load: 8 connections, 1500 requests of the AGENTDYNO_SEED input (default 42). The load
# client (harness, its own process) checks and counts every response. Only once run.sh has stopped
# the server does this script hand over the client's figures: {"value": <requests/s>} to
# AGENTDYNO_VALUE and "responses N sum S" to AGENTDYNO_OUT (the same for every correct server on
# that seed; agentdyno compares it with the baseline's). Last stdout line is {"value": <requests/s>}.
out=$(sh ./run.sh 8 1500 "${AGENTDYNO_SEED:-42}") || { printf '%s\n' "$out"; exit 1; }
value=$(printf '%s\n' "$out" | tail -n 1)
[ -z "$AGENTDYNO_OUT" ] || printf '%s\n' "$out" | grep '^responses ' > "$AGENTDYNO_OUT"
[ -z "$AGENTDYNO_VALUE" ] || printf '%s\n' "$value" > "$AGENTDYNO_VALUE"
printf '%s\n' "$value"
