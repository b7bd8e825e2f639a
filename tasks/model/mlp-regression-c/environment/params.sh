#!/bin/sh
# Turns params.json ({"unroll": 4}) into -DP_UNROLL=4 style flags; no params.json = defaults.
[ -f params.json ] || exit 0
{ tr -d ' \n\r\t"{}' < params.json; echo; } | tr ',' '\n' | while IFS=: read -r k v; do
  case "$k" in ''|*[!a-z0-9_]*) continue ;; esac
  case "$v" in ''|*[!A-Za-z0-9_.-]*) continue ;; esac
  printf ' -DP_%s=%s' "$(printf %s "$k" | tr a-z A-Z)" "$v"
done
exit 0
