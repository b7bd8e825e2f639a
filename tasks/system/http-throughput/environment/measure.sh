#!/bin/sh
# One timed load: 8 connections, 2000 requests in total; last stdout line is {"value": <requests/s>}.
exec sh ./run.sh 8 2000 42
