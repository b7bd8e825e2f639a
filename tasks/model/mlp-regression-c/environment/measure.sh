#!/bin/sh
# Validation MSE after training on the seed-42 data; last stdout line is {"value": <val MSE>}.
exec ./fit time
