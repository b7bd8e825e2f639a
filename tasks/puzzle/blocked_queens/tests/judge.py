"""Counts checked against our own bitmask search on fresh seeds; the three timed runs too."""
import json, math, os, random, subprocess, sys

baseline, reference, reward_file = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]

def fail(reason):
    print(f"FAIL: {reason}", file=sys.stderr)
    json.dump({"reward": 0.0, "correctness": False, "metric": None, "speedup": None, "reason": reason}, open(reward_file, "w"))
    sys.exit(0)

def blocked(n, seed):  # mirrors main.c
    state, out = seed & 0x7FFFFFFF, []
    for _ in range(n):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        out.append(1 << (state % n))
    return out

def count(n, b):
    full = (1 << n) - 1
    def go(r, cols, d1, d2):
        if r == n:
            return 1
        t, avail = 0, full & ~(cols | d1 | d2 | b[r])
        while avail:
            bit = avail & -avail
            avail ^= bit
            t += go(r + 1, cols | bit, ((d1 | bit) << 1) & full, (d2 | bit) >> 1)
        return t
    return go(0, 0, 0, 0)

def run(n, seed):
    out = subprocess.run(["/app/queens", str(n), str(seed)], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        fail("runtime_error")
    f = dict(kv.split("=", 1) for kv in out.stdout.split())
    return int(f["count"]), float(f["time"])

rng = random.Random(os.urandom(8))
for n in [1, 4, 6, 8, 9, 10]:
    s = rng.randrange(1 << 31)
    if run(n, s)[0] != count(n, blocked(n, s)):
        fail(f"wrong_count_n{n}")
print("correctness ok", file=sys.stderr)

seed = rng.randrange(1 << 31)
want = count(12, blocked(12, seed))
times = []
for trial in range(3):
    got, t = run(12, seed)
    if got != want:
        fail("wrong_count_timed_run")
    times.append(t)
metric = sorted(times)[1]
speedup = baseline / metric if metric > 0 else 0.0
reward = 0.0 if speedup <= 1 else max(0.0, min(1.0, 0.5 * math.log(speedup) / math.log(baseline / reference)))
print(f"times {times} median {metric:.6f} s speedup {speedup:.2f}x reward {reward:.3f}", file=sys.stderr)
json.dump({"reward": round(reward, 4), "correctness": True, "metric": metric, "speedup": round(speedup, 3)}, open(reward_file, "w"))
