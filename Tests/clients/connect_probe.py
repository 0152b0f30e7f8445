#!/usr/bin/python3
"""Opens a new TCP connection to HOST:PORT every 20 ms until FILE exists, and prints how long the
longest run of refused connections lasted. Stdlib only, so Debian's python3 runs it as any uid.

  connect_probe.py HOST PORT --until-file FILE
Prints one JSON line: {"attempts": N, "refused": N, "longestRefusedSeconds": S, "firstRefusedAt": T}
"""
import json
import os
import socket
import sys
import time


def main():
    host, port, stop = sys.argv[1], int(sys.argv[2]), sys.argv[sys.argv.index("--until-file") + 1]
    attempts = refused = 0
    longest = 0.0
    started = None
    print("probing", flush=True)
    while not os.path.exists(stop):
        now = time.monotonic()
        attempts += 1
        try:
            with socket.create_connection((host, port), timeout=0.5):
                pass
            if started is not None:
                longest = max(longest, now - started)
                started = None
        except OSError:
            refused += 1
            if started is None:
                started = now
        time.sleep(0.02)
    if started is not None:
        longest = max(longest, time.monotonic() - started)
    print(json.dumps({"attempts": attempts, "refused": refused, "longestRefusedSeconds": round(longest, 3)}), flush=True)


if __name__ == "__main__":
    main()
