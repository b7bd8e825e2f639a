"""Pick a codec per chunk. This is the file to optimize (params.json is yours too).

choose(chunk: bytes) returns one spec:
  ("raw",) | ("zlib", level 0-9, strategy) | ("lzma", preset 0-9) | ("bz2", level 1-9)
strategy: "default", "filtered", "huffman", "rle" or "fixed". The harness compresses and
decompresses with that spec; the time choose() takes counts as compression time.
The baseline applies one codec to everything, from params.json {"codec": ..., "level": ...}.
"""
import json

try:
    with open("params.json") as f:
        PARAMS = json.load(f)
except FileNotFoundError:
    PARAMS = {}


def choose(chunk):
    codec = PARAMS.get("codec", "zlib")
    level = int(PARAMS.get("level", 9))
    if codec == "zlib":
        return ("zlib", level, "default")
    if codec == "bz2":
        return ("bz2", max(1, level))
    if codec == "raw":
        return ("raw",)
    return ("lzma", level)
