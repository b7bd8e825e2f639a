"""Schedule the tasks. This is the file to optimize.

solve(inst) gets {"machines": M, "tasks": [{"id", "duration", "machines", "after", "tags"}, ...]}
and returns {task id: (machine, start)}. See instruction.md and checker.py for the rules.
Baseline: tasks in id order (ids are already a topological order), each placed at the earliest
start on the machine where it would finish first, after all predecessors.
"""


def solve(inst):
    free_at = [0] * inst["machines"]
    end = {}
    sched = {}
    for t in inst["tasks"]:
        ready = max((end[p] for p in t["after"]), default=0)
        best = None
        for m in t["machines"]:
            s = max(ready, free_at[m])
            if best is None or s + t["duration"] < best[1] + t["duration"]:
                best = (m, s)
        m, s = best
        sched[t["id"]] = (m, s)
        end[t["id"]] = s + t["duration"]
        free_at[m] = end[t["id"]]
    return sched
