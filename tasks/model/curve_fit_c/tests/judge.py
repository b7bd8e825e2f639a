"""Draws fresh train/validation points, runs /app/fit once, scores the MSE of its predictions."""
import json, math, os, random, subprocess, sys

baseline, reference, reward_file = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]

def fail(reason):
    print(f"FAIL: {reason}", file=sys.stderr)
    json.dump({"reward": 0.0, "correctness": False, "metric": None, "reason": reason}, open(reward_file, "w"))
    sys.exit(0)

rng = random.Random(os.urandom(8))
f = lambda x: math.sin(3 * x) + 0.5 * x * x
train = [(x, f(x) + rng.gauss(0, 0.1)) for x in (rng.uniform(-1, 1) for _ in range(2000))]
val = [(x, f(x) + rng.gauss(0, 0.1)) for x in (rng.uniform(-1, 1) for _ in range(2000))]
open("/tmp/train.csv", "w").write("".join(f"{x!r},{y!r}\n" for x, y in train))
open("/tmp/val_x.csv", "w").write("".join(f"{x!r}\n" for x, _ in val))
try:
    out = subprocess.run(["/app/fit", "/tmp/train.csv", "/tmp/val_x.csv", "/tmp/pred.csv"], capture_output=True, text=True, timeout=10)
except subprocess.TimeoutExpired:
    fail("timeout")
if out.returncode != 0:
    fail("runtime_error")
pred = [float(l) for l in open("/tmp/pred.csv").read().split()]
if len(pred) != len(val) or not all(math.isfinite(p) for p in pred):
    fail("bad_predictions")
mse = sum((p - y) ** 2 for p, (_, y) in zip(pred, val)) / len(val)
reward = max(0.0, min(1.0, (baseline - mse) / (baseline - reference)))
print(f"val_mse {mse:.5f} reward {reward:.3f}", file=sys.stderr)
json.dump({"reward": round(reward, 4), "correctness": True, "metric": mse}, open(reward_file, "w"))
