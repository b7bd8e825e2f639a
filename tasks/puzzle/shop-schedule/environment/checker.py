"""Harness (not editable): seeded instances, the schedule checker and the cost.

  python3 checker.py check SEED   -> exit 0 when the schedule is well-formed (hard rules below)
  python3 checker.py time         -> solves the AGENTDYNO_SEED instance (timed_io.py) and leaves
                                     the schedule in checker.timed
  python3 checker.py score        -> in a process that never imports solver.py: checks that
                                     schedule against the instance, reports {"value": <cost>} and
                                     the instance digest + "valid" (the same for every correct
                                     solver on that seed; agentdyno compares it with the baseline's)

Hard rules (a broken one fails the check): every task scheduled exactly once on one of its
`machines`, integer start >= 0, no two tasks overlap on a machine, and each task starts no earlier
than every predecessor in `after` ends. cost = makespan + 50 per violation of a further rule that
the instance does not spell out; the checker names each one it finds. The solver gets 5 s.
"""
import json
import random
import sys
import time
import hashlib

from timed_io import timed_report, timed_seed

PENALTY = 50
TIME_LIMIT_S = 5.0
MAINTENANCE = {0: (30, 45), 2: (70, 80)}  # machine -> [start, end) it is unavailable


def instance(seed, n=48, machines=4):
    rng = random.Random(seed)
    tasks = []
    for i in range(n):
        k = rng.choice([1, 2, 2, 3, 4])
        after = sorted(rng.sample(range(i), min(i, rng.choice([0, 0, 1, 1, 2, 3])))) if i else []
        tasks.append({"id": i, "duration": rng.randint(2, 14), "machines": sorted(rng.sample(range(machines), k)),
                      "after": after, "tags": ["hot"] if rng.random() < 0.25 else []})
    return {"machines": machines, "tasks": tasks}


def evaluate(inst, sched):
    """Returns (hard_errors, hidden_violations, makespan)."""
    tasks = inst["tasks"]
    errs = []
    if not isinstance(sched, dict):
        return [f"solve() must return a dict task id -> (machine, start), got {type(sched).__name__}"], [], 0
    if sorted(sched) != list(range(len(tasks))):
        missing = sorted(set(range(len(tasks))) - set(sched))
        return [f"schedule must cover task ids 0..{len(tasks) - 1} exactly once (missing {missing[:5]})"], [], 0
    span = {}
    for t in tasks:
        try:
            m, s = sched[t["id"]]
        except (TypeError, ValueError):
            return [f"task {t['id']}: expected (machine, start), got {sched[t['id']]!r}"], [], 0
        if not isinstance(s, int) or s < 0:
            errs.append(f"task {t['id']}: start {s!r} is not an integer >= 0")
            continue
        if m not in t["machines"]:
            errs.append(f"task {t['id']}: machine {m!r} not in its machines {t['machines']}")
        span[t["id"]] = (m, s, s + t["duration"])
    if errs:
        return errs, [], 0
    by_m = {}
    for tid, (m, s, e) in span.items():
        by_m.setdefault(m, []).append((s, e, tid))
    for m, iv in by_m.items():
        iv.sort()
        for (s1, e1, a), (s2, e2, b) in zip(iv, iv[1:]):
            if s2 < e1:
                errs.append(f"machine {m}: tasks {a} [{s1},{e1}) and {b} [{s2},{e2}) overlap")
    for t in tasks:
        for p in t["after"]:
            if span[t["id"]][1] < span[p][2]:
                errs.append(f"task {t['id']} starts at {span[t['id']][1]} before its predecessor {p} ends at {span[p][2]}")
    hidden = []
    for tid, (m, s, e) in sorted(span.items()):
        if m in MAINTENANCE:
            a, b = MAINTENANCE[m]
            if s < b and a < e:
                hidden.append(f"task {tid} [{s},{e}) on machine {m} overlaps the machine's maintenance window [{a},{b})")
    hot = sorted((span[t["id"]][1], span[t["id"]][2], t["id"]) for t in tasks if "hot" in t["tags"])
    for i, (s1, e1, a) in enumerate(hot):
        for s2, e2, b in hot[i + 1:]:
            if s2 >= e1:
                break
            hidden.append(f"hot tasks {a} [{s1},{e1}) and {b} [{s2},{e2}) run at the same time (one oven)")
    return errs, hidden, max(e for _, _, e in span.values())


def run(seed):
    inst = instance(seed)
    t0 = time.perf_counter()
    sched = solver.solve(json.loads(json.dumps(inst)))  # a private copy: the solver cannot alter ours
    dt = time.perf_counter() - t0
    if dt > TIME_LIMIT_S:
        return [f"solver took {dt:.1f} s (limit {TIME_LIMIT_S} s)"], [], 0, dt
    return (*evaluate(inst, sched), dt)


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode not in ("check", "time", "score"):
        print("usage: checker.py check SEED | checker.py time | checker.py score", file=sys.stderr)
        return 2
    if mode in ("check", "time"):
        global solver
        import solver  # only these modes run the candidate's code
    seed = int(sys.argv[2]) if mode == "check" else timed_seed(7)
    if mode == "time":
        inst = instance(seed)
        t0 = time.perf_counter()
        sched = solver.solve(json.loads(json.dumps(inst)))
        dt = time.perf_counter() - t0
        if dt > TIME_LIMIT_S:
            print(f"WRONG seed={seed}: solver took {dt:.1f} s (limit {TIME_LIMIT_S} s)")
            return 1
        try:
            text = json.dumps({"solve_s": dt, "schedule": [[k, v] for k, v in sched.items()] if isinstance(sched, dict) else sched})
        except (TypeError, ValueError):
            print(f"WRONG seed={seed}: solve() returned something that is not a dict of (machine, start)")
            return 1
        with open("checker.timed", "w") as f:
            f.write(text)
        return 0
    if mode == "score":
        inst = instance(seed)
        with open("checker.timed") as f:
            got = json.load(f)
        raw = got.get("schedule") if isinstance(got, dict) else None
        # JSON has no tuples nor int keys: rebuild {id: (machine, start)} as solve() returned it.
        try:
            sched = {int(k): tuple(v) if isinstance(v, list) else v for k, v in raw} if isinstance(raw, list) else raw
        except (TypeError, ValueError):
            sched = raw
        errs, hidden, makespan = evaluate(inst, sched)
        dt = float(got.get("solve_s", 0)) if isinstance(got, dict) else 0
    else:
        errs, hidden, makespan, dt = run(seed)
    if errs:
        print(f"WRONG seed={seed}: " + "; ".join(errs[:5]))
        return 1
    cost = makespan + PENALTY * len(hidden)
    for h in hidden[:20]:
        print(f"violation: {h}", file=sys.stderr)
    summary = f"seed={seed} makespan={makespan} violations={len(hidden)} cost={cost} solve_s={dt:.2f}"
    if mode == "check":
        print("ok " + summary)
        return 0
    print(summary, file=sys.stderr)
    return timed_report(cost, hashlib.sha256(json.dumps(inst, sort_keys=True).encode() + b" valid").digest())


if __name__ == "__main__":
    sys.exit(main())
