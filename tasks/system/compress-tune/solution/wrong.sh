#!/bin/sh
# Deliberately wrong (for `agentdyno tasks validate`): returns a spec the harness does not accept
# (lzma preset 12 does not exist), so the check rejects it.
set -e
cat > codec.py <<'PY'
def choose(chunk):
    return ("lzma", 12)
PY
