#!/bin/sh
# Correctness: every response checked (status 200, body = a+b) for 1 and 8 connections, two seeds.
set -e
python3 -c "import ast; ast.parse(open('server.py').read(), 'server.py')"
sh ./run.sh 1 50 1 >/dev/null
sh ./run.sh 8 400 2 >/dev/null
echo ok
