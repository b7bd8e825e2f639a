#!/bin/sh
# One timed load: 8 connections, 1500 requests in total; last stdout line is {"value": <requests/s>}.
exec sh ./run.sh 8 1500 42
