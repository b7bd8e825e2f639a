"""Correctness on random sizes, then three timed runs on an 8 MiB file; every timed crc is checked."""
import json, math, os, random, subprocess, sys, zlib

baseline, reference, reward_file = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]

def fail(reason):
    print(f"FAIL: {reason}", file=sys.stderr)
    json.dump({"reward": 0.0, "correctness": False, "metric": None, "speedup": None, "reason": reason}, open(reward_file, "w"))
    sys.exit(0)

def run(path):
    out = subprocess.run(["/app/crc32", path], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        fail("runtime_error")
    fields = dict(kv.split("=", 1) for kv in out.stdout.split())
    return int(fields["crc"], 16), float(fields["time"])

rng = random.Random(os.urandom(8))
for size in [0, 1, 7, 8, 9, 63, 64, 65, 1000, 4096 + 3, rng.randrange(1, 100000)]:
    data = rng.randbytes(size)
    open("/tmp/in.bin", "wb").write(data)
    got, _ = run("/tmp/in.bin")
    if got != zlib.crc32(data):
        fail(f"wrong_crc_size_{size}")
print("correctness ok", file=sys.stderr)

data = os.urandom(8 << 20)
open("/tmp/bench.bin", "wb").write(data)
want = zlib.crc32(data)
times = []
for trial in range(3):
    got, t = run("/tmp/bench.bin")
    if got != want:
        fail("wrong_crc_timed_run")
    times.append(t)
metric = sorted(times)[1]
speedup = baseline / metric if metric > 0 else 0.0
ref_speedup = baseline / reference
reward = 0.0 if speedup <= 1 else max(0.0, min(1.0, 0.5 * math.log(speedup) / math.log(ref_speedup)))
print(f"times {times} median {metric:.6f} s speedup {speedup:.2f}x reward {reward:.3f}", file=sys.stderr)
json.dump({"reward": round(reward, 4), "correctness": True, "metric": metric, "speedup": round(speedup, 3)}, open(reward_file, "w"))
open("/logs/verifier/reward.txt", "w").write(f"{reward:.4f}\n")
