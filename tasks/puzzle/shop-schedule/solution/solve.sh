#!/bin/sh
# Reference: serial schedule generation with gap insertion. The rules the checker reports are
# honoured as blocked time: machine 0 is down [30,45), machine 2 is down [70,80), and "hot" tasks
# share one oven (never overlap). Priority = longest remaining path (critical path); then 300
# seeded restarts with jittered priorities keep the best makespan. Deterministic (fixed seed).
set -e
cat > solver.py <<'PY'
import random

DOWN = {0: [(30, 45)], 2: [(70, 80)]}


def earliest(ready, dur, blocked):
    """Earliest s >= ready with [s, s+dur) clear of every interval in blocked."""
    s = ready
    moved = True
    while moved:
        moved = False
        for a, b in blocked:
            if s < b and a < s + dur:
                s = b
                moved = True
    return s


def build(inst, prio):
    tasks = inst["tasks"]
    busy = {m: list(DOWN.get(m, [])) for m in range(inst["machines"])}
    oven = []
    end, sched = {}, {}
    left = {t["id"]: len(t["after"]) for t in tasks}
    succ = {t["id"]: [] for t in tasks}
    for t in tasks:
        for p in t["after"]:
            succ[p].append(t["id"])
    ready_set = [t["id"] for t in tasks if not t["after"]]
    while ready_set:
        ready_set.sort(key=lambda i: -prio[i])
        tid = ready_set.pop(0)
        t = tasks[tid]
        r = max((end[p] for p in t["after"]), default=0)
        hot = "hot" in t["tags"]
        best = None
        for m in t["machines"]:
            s = earliest(r, t["duration"], busy[m] + (oven if hot else []))
            if best is None or s < best[1]:
                best = (m, s)
        m, s = best
        e = s + t["duration"]
        busy[m].append((s, e))
        if hot:
            oven.append((s, e))
        sched[tid], end[tid] = (m, s), e
        for c in succ[tid]:
            left[c] -= 1
            if left[c] == 0:
                ready_set.append(c)
    return sched, max(end.values())


def solve(inst):
    tasks = inst["tasks"]
    level = {}
    for t in reversed(tasks):  # ids are topological, so successors come later
        succ_lv = [level[u["id"]] for u in tasks[t["id"] + 1:] if t["id"] in u["after"]]
        level[t["id"]] = t["duration"] + max(succ_lv, default=0)
    best = build(inst, level)
    rng = random.Random(12345)
    for _ in range(300):
        prio = {i: v * rng.uniform(0.7, 1.3) for i, v in level.items()}
        cand = build(inst, prio)
        if cand[1] < best[1]:
            best = cand
    return best[0]
PY
