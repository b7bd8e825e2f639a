#!/bin/sh
# Harness (not editable): run.sh CONNECTIONS REQUESTS SEED
# Starts server.py (it binds 127.0.0.1 port 0 and writes the port to port.txt), waits for it,
# runs the load client, stops the server. The network namespace is private, so ports never clash.
rm -f port.txt
python3 server.py port.txt &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
i=0
while [ ! -s port.txt ]; do
  i=$((i + 1)); [ $i -gt 100 ] && { echo "server did not write port.txt within 10 s" >&2; exit 3; }
  kill -0 $pid 2>/dev/null || { echo "server exited before writing port.txt" >&2; exit 3; }
  sleep 0.1
done
./loadgen "$(cat port.txt)" "$1" "$2" "$3"
