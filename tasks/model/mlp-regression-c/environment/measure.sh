#!/bin/sh
# Training on the AGENTDYNO_SEED data (./fit time leaves its held-out predictions in fit.timed),
# then the validation MSE computed by ./score, built without train.c; last stdout line is
# {"value": <val MSE>}.
set -e
./fit time
exec ./score
