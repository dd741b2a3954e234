"""Fault run on the cluster (``make chaos``): load through both gateways while a NATS node
and then a replica of every service are killed with ``kill -9`` and started again.

What it does:

1. starts ``make run-cluster``'s system in a temporary folder: three nats-server
   processes routed together on loopback (JetStream on each, the events stream with 3
   replicas), two replicas of every service and of the gateway (fsync off in Postgres,
   services at WARNING, the per-address rate limit off);
2. load, closed-loop and bounded, through both gateways: ``--booking-workers`` hosts each
   with a room, and a student who requests one night after another, each accepted by the
   host; ``--message-workers`` pairs of users, one sending numbered messages (each with a
   ``client_message_id``) to the other. A request answered 503 or 504 is retried (the same
   ``client_message_id``; an accept that answers 409 on a retry had gone through);
3. the faults, ``--gap`` seconds apart after ``--warmup``: kill -9 of the NATS server that
   leads the events stream, its restart, kill -9 of the second replica of every service
   (accounts, listings, messaging, matching), their restart; then ``--tail`` seconds;
4. once the load has stopped and every consumer has caught up, it checks and reports:
   requests that failed (only 503/504 are allowed) and whether each succeeded when
   retried; accepted bookings lost (not ``accepted`` in listings, or missing from
   matching's projection); events applied twice or never (messaging's system messages
   and notifications per booking: exactly one per event); messages lost or doubled (each
   ``client_message_id`` exactly once in the conversation); and the time from each fault
   until p99 (over a sliding second) is back under its target, ``--p99-target-ms`` or by
   default twice the warm-up's p99 (at least 100 ms).

The last line is ``RESULT {json}``. ``tests/e2e/test_cluster.py`` runs a short version.
The load, the faults and the checks are in ``bench/lib`` (``faults``, ``cluster_load``,
``consistency``); this is the run and its report.

    .venv/bin/python bench/chaos.py [--warmup 4] [--gap 6] [--tail 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.lib.common import say
from bench.lib.faults import Options, cluster_stack, load_and_faults, problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warmup", type=float, default=4.0)
    parser.add_argument("--gap", type=float, default=6.0, help="seconds between kills and restarts")
    parser.add_argument("--tail", type=float, default=8.0)
    parser.add_argument("--booking-workers", type=int, default=4)
    parser.add_argument("--message-workers", type=int, default=4)
    parser.add_argument("--p99-target-ms", type=float, default=None)
    args = parser.parse_args()
    opts = Options(args.warmup, args.gap, args.tail, args.booking_workers, args.message_workers, args.p99_target_ms)
    with tempfile.TemporaryDirectory(prefix="wardmate-chaos-") as tmp:
        say("starting the cluster: 3 NATS servers, 2 replicas of every service and of the gateway")
        with cluster_stack(Path(tmp)).running(timeout=180) as stack:
            for i in range(1, stack.replicas):
                stack.wait_healthy(timeout=120, gateway=i)
            result = asyncio.run(load_and_faults(stack, opts))
    for key, value in result.items():
        print(f"    {key}: {value}")
    broken = problems(result)
    for problem in broken:
        print(f"!! {problem}")
    print("RESULT " + json.dumps(result))
    if broken:
        sys.exit(1)


if __name__ == "__main__":
    main()
