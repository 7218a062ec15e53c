#!/usr/bin/env python3
"""A CRUD workload through redis-py's RedisCluster (redis==5.2.1), for tests/cluster_clients.rs.

Each round writes fresh keys of several types on many slots and reads every one back:
SET/GET, INCR on one of 50 shared counters (checked against a local model), HSET/HGETALL,
LPUSH/LRANGE, DEL/GET. A read that differs from what was written counts as wrong; an exception
that escapes the client (its own MOVED/ASK/reconnect retries did not hide it) counts as an error.

Runs until --stop-file exists, --max-seconds pass or --max-rounds are done; prints `ready` after
the first round, then one JSON line of counts at the end. Exits 3 if redis-py is missing.
"""
import argparse
import json
import os
import sys
import time

try:
    from redis.cluster import RedisCluster
except ImportError as e:
    print(json.dumps({"import_error": str(e)}), flush=True)
    sys.exit(3)


def run_round(rc, prefix, i, counters, stats):
    def check(what, got, want):
        stats["ops"] += 1
        if got != want:
            stats["wrong"] += 1
            if len(stats["first_wrong"]) < 10:
                stats["first_wrong"].append(f"{what}: got {got!r}, want {want!r}")

    s = f"{prefix}:s:{i}"
    rc.set(s, f"v{i}")
    check(f"GET {s}", rc.get(s), f"v{i}")

    c = f"{prefix}:c:{i % 50}"
    # Out of the model while the INCR is in flight: after an error its value is read again.
    prev = counters.pop(c) if c in counters else int(rc.get(c) or 0)
    n = rc.incr(c)
    check(f"INCR {c}", n, prev + 1)
    check(f"GET {c}", rc.get(c), str(n))
    counters[c] = n

    h = f"{prefix}:h:{i}"
    rc.hset(h, mapping={"a": str(i), "b": "x"})
    check(f"HGETALL {h}", rc.hgetall(h), {"a": str(i), "b": "x"})

    lst = f"{prefix}:l:{i}"
    rc.lpush(lst, "a", "b")
    check(f"LRANGE {lst}", rc.lrange(lst, 0, -1), ["b", "a"])

    rc.delete(s)
    check(f"GET {s} after DEL", rc.get(s), None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--prefix", default="py")
    ap.add_argument("--stop-file", required=True)
    ap.add_argument("--max-seconds", type=float, default=240)
    ap.add_argument("--max-rounds", type=int, default=1_000_000)
    a = ap.parse_args()
    rc = RedisCluster(
        host="127.0.0.1",
        port=a.port,
        decode_responses=True,
        socket_timeout=10,
        socket_connect_timeout=2,
    )
    counters = {}
    stats = {"rounds": 0, "ops": 0, "wrong": 0, "errors": 0, "first_wrong": [], "first_errors": []}
    start = time.monotonic()
    i = 0
    while (
        i < a.max_rounds
        and time.monotonic() - start < a.max_seconds
        and not os.path.exists(a.stop_file)
    ):
        try:
            run_round(rc, a.prefix, i, counters, stats)
            stats["rounds"] += 1
        except Exception as e:  # counted: the test asserts there are none
            stats["errors"] += 1
            if len(stats["first_errors"]) < 10:
                stats["first_errors"].append(f"round {i}: {type(e).__name__}: {e}")
            time.sleep(0.02)
        if i == 0:
            print("ready", flush=True)
        i += 1
    stats["seconds"] = round(time.monotonic() - start, 3)
    print(json.dumps(stats), flush=True)


if __name__ == "__main__":
    main()
