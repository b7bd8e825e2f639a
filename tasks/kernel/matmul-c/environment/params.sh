#!/bin/sh
# Turns params.json ({"order": "ikj", "block": 32}) into compiler flags; no params.json = defaults.
[ -f params.json ] || exit 0
tr -d ' \n' < params.json | grep -q '"order":"ikj"' && printf ' -DORDER_IKJ'
b=$(tr -d ' \n' < params.json | sed -n 's/.*"block":\([0-9][0-9]*\).*/\1/p')
[ -n "$b" ] && printf ' -DBLOCK=%s' "$b"
exit 0
