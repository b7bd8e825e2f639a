#!/bin/sh
# Deliberately wrong (for `agentdyno tasks validate`): ignores precedence and packs every task
# back to back on its first machine, so predecessors often end after their successors start.
set -e
cat > solver.py <<'PY'
def solve(inst):
    free_at = [0] * inst["machines"]
    sched = {}
    for t in inst["tasks"]:
        m = t["machines"][0]
        sched[t["id"]] = (m, free_at[m])
        free_at[m] += t["duration"]
    return sched
PY
