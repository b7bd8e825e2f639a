"""Harness (not editable). Compresses a seeded ~1.2 MB corpus of 64 KiB chunks (JSON logs, prose,
CSV numbers, random bytes, sparse binary) with the codec `codec.choose(chunk)` picks per chunk,
decompresses it again and checks the round trip.

  python3 bench.py check SEED   -> round trip + spec validity on a corpus from SEED
  python3 bench.py time         -> compresses the AGENTDYNO_SEED corpus (timed_io.py) and leaves
                                   the specs, blobs and compression time in bench.timed
  python3 bench.py verify       -> in a process that never imports codec.py: decompresses those
                                   blobs with the standard library (timed here), checks the round
                                   trip, reports {"value": <cost_ms>} from the real blob sizes and
                                   the sha256 of what they decompress to (the same for every
                                   correct codec on that seed; agentdyno compares it with the
                                   baseline's)

cost_ms = compress_ms + decompress_ms + compressed_bytes / LINK_BYTES_PER_MS
i.e. the time to compress, send over a 5 MB/s link (5,000 bytes per ms) and decompress.
Compression time includes the time spent in choose(); every spec is one of
  ("raw",) | ("zlib", level 0-9, strategy) | ("lzma", preset 0-9) | ("bz2", level 1-9)
with strategy one of "default", "filtered", "huffman", "rle", "fixed".
"""
import bz2
import json
import lzma
import random
import sys
import time
import zlib
import hashlib
import struct

from timed_io import timed_report, timed_seed

LINK_BYTES_PER_MS = 5_000
CHUNK = 64 * 1024
STRATEGIES = {"default": zlib.Z_DEFAULT_STRATEGY, "filtered": zlib.Z_FILTERED, "huffman": zlib.Z_HUFFMAN_ONLY,
              "rle": zlib.Z_RLE, "fixed": zlib.Z_FIXED}
WORDS = ("the of and to in is was that for on with as by at from this have not are but were which be "
         "one all had they their there an would been if has more when will who no out into so can some "
         "kernel cache latency throughput budget agent token request server queue batch").split()


def corpus(seed):
    rng = random.Random(seed)
    kinds = ["json"] * 5 + ["prose"] * 4 + ["csv"] * 4 + ["random"] * 3 + ["sparse"] * 2
    rng.shuffle(kinds)
    chunks = []
    for kind in kinds:
        if kind == "json":
            parts, n = [], 0
            while n < CHUNK:
                line = json.dumps({"ts": 1700000000 + rng.randrange(10**6), "level": rng.choice(["info", "warn", "error"]),
                                   "user": rng.randrange(10000), "path": "/api/v1/" + rng.choice(WORDS),
                                   "ms": round(rng.expovariate(0.05), 2)}) + "\n"
                parts.append(line)
                n += len(line)
            data = "".join(parts).encode()
        elif kind == "prose":
            data = " ".join(rng.choice(WORDS) for _ in range(CHUNK // 4)).encode()
        elif kind == "csv":
            data = "".join(f"{rng.randrange(10**6)},{rng.gauss(0, 1):.6f},{rng.randrange(100)}\n" for _ in range(CHUNK // 20)).encode()
        elif kind == "random":
            data = rng.randbytes(CHUNK)
        else:
            b = bytearray(CHUNK)
            for _ in range(CHUNK // 50):
                b[rng.randrange(CHUNK)] = rng.randrange(256)
            data = bytes(b)
        chunks.append(data[:CHUNK])
    return chunks


def compress(spec, data):
    kind = spec[0]
    if kind == "raw":
        return data
    if kind == "zlib":
        level, strategy = spec[1], STRATEGIES[spec[2]]
        c = zlib.compressobj(level, zlib.DEFLATED, 15, 8, strategy)
        return c.compress(data) + c.flush()
    if kind == "lzma":
        return lzma.compress(data, preset=spec[1])
    if kind == "bz2":
        return bz2.compress(data, spec[1])
    raise ValueError(spec)


def decompress(spec, blob):
    kind = spec[0]
    if kind == "raw":
        return blob
    if kind == "zlib":
        return zlib.decompress(blob)
    if kind == "lzma":
        return lzma.decompress(blob)
    return bz2.decompress(blob)


def valid(spec):
    if not isinstance(spec, tuple) or not spec:
        return False
    k = spec[0]
    if k == "raw":
        return len(spec) == 1
    if k == "zlib":
        return len(spec) == 3 and spec[1] in range(10) and spec[2] in STRATEGIES
    if k == "lzma":
        return len(spec) == 2 and spec[1] in range(10)
    if k == "bz2":
        return len(spec) == 2 and spec[1] in range(1, 10)
    return False


def timed_compress(chunks, path):
    """Compresses with the candidate's choices and writes specs + blobs; returns compress_ms or an error."""
    t0 = time.perf_counter()
    out = []
    for data in chunks:
        spec = codec.choose(data)
        if not valid(spec):
            return f"invalid spec {spec!r}"
        out.append((spec, compress(spec, data)))
    c_ms = (time.perf_counter() - t0) * 1e3
    with open(path, "wb") as f:
        f.write(json.dumps({"compress_ms": c_ms, "specs": [list(s) for s, _ in out]}).encode() + b"\n")
        for _, blob in out:
            f.write(struct.pack("<Q", len(blob)) + blob)
    return c_ms


def verify(chunks, path):
    """(cost_ms, digest of what the blobs decompress to, error or None), never calling codec.py."""
    with open(path, "rb") as f:
        head = json.loads(f.readline())
        blobs = []
        for _ in head["specs"]:
            (n,) = struct.unpack("<Q", f.read(8))
            blobs.append(f.read(n))
    specs = [tuple(s) for s in head["specs"]]
    if len(specs) != len(chunks) or not all(valid(s) for s in specs):
        return 0, b"", "the timed run left no valid spec per chunk"
    t1 = time.perf_counter()
    back = []
    for spec, blob in zip(specs, blobs):
        try:
            back.append(decompress(spec, blob))
        except Exception as e:  # a blob that is not what its spec says
            back.append(b"")
    d_ms = (time.perf_counter() - t1) * 1e3
    err = next((f"chunk {i} does not round-trip with {specs[i]!r}" for i, (a, b) in enumerate(zip(chunks, back)) if a != b), None)
    size = sum(len(b) for b in blobs)
    return head["compress_ms"] + d_ms + size / LINK_BYTES_PER_MS, hashlib.sha256(b"".join(back)).digest(), err


def run(chunks):
    """Returns (compress_ms, decompress_ms, compressed_bytes, error or None)."""
    t0 = time.perf_counter()
    out = []
    for data in chunks:
        spec = codec.choose(data)
        if not valid(spec):
            return 0, 0, 0, f"invalid spec {spec!r}"
        out.append((spec, compress(spec, data)))
    t1 = time.perf_counter()
    back = [decompress(spec, blob) for spec, blob in out]
    t2 = time.perf_counter()
    for i, (a, b) in enumerate(zip(chunks, back)):
        if a != b:
            return 0, 0, 0, f"chunk {i} does not round-trip with {out[i][0]!r}"
    return (t1 - t0) * 1e3, (t2 - t1) * 1e3, sum(len(b) for _, b in out), None


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode in ("check", "time"):
        global codec
        import codec  # only these modes run the candidate's code
    if mode == "check":
        seed = int(sys.argv[2])
        c_ms, d_ms, size, err = run(corpus(seed))
        if err:
            print(f"WRONG seed={seed}: {err}")
            return 1
        print(f"ok seed={seed} size={size} compress_ms={c_ms:.1f} decompress_ms={d_ms:.1f}")
        return 0
    if mode == "time":
        r = timed_compress(corpus(timed_seed()), "bench.timed")
        if isinstance(r, str):
            print(r, file=sys.stderr)
            return 1
        return 0
    if mode == "verify":
        cost, digest, err = verify(corpus(timed_seed()), "bench.timed")
        if err:
            print(f"{err} (the digest differs from the baseline's)", file=sys.stderr)
        return timed_report(round(cost, 3), digest)
    print("usage: bench.py check SEED | bench.py time | bench.py verify", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
