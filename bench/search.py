"""Benchmark of the listing search through the running system, against a minimal baseline.

What it does, in one run (``make bench-search``):

1. starts a fresh system (embedded Postgres and NATS, every service, the gateway) in a
   temporary folder, with fsync off (a benchmark measures the read path, not the disk)
   and the services logging at WARNING (per-request log lines would be measured too) and
   the gateway's per-address rate limit off (the load comes from one address);
2. seeds 100,000 listings directly in SQL around the shipped hospitals (more around big
   hospitals, an extra cluster around the benchmark's hospital), 25,000 hosts and stays on
   8% of the listings (a third over the searched dates; ``--overlap``), in batches under a
   progress bar; then VACUUM (ANALYZE), so no autoanalyze moves the plans mid-run;
3. prints EXPLAIN (ANALYZE, BUFFERS) of the exact SQL the listings service runs (built by
   ``services.listings.store.search_query``), as planned for one execution and as the
   service's cached prepared statement is planned after many, and checks that no plan
   scans ``listings`` sequentially and that the bookings check is an index probe per
   candidate listing (checked again after the load);
4. checks that the gateway answers 200 with items (and the same items as the baseline);
5. loads ``GET /api/v1/listings?hospital_id=…&from=…&to=…`` at concurrency 32 with wrk
   (Debian's package, installed when missing; C, so it takes little of the CPU the system
   needs), through the gateway and through ``bench/baseline_search.py``, a single
   aiohttp + asyncpg process running the same two queries; each after a short warm-up, in
   alternating rounds (``--rounds``, 2) of which each target's best counts;
6. prints requests/s, p50 and p99 of both, the CPU each process (and anything else on the
   machine) used during each run, the ratio, and as the last line ``RESULT {json}``.

Load generation, CPU metering, profiling, seeding and the plan checks are in ``bench/lib``;
this is the run and its report.

``--profile`` adds a py-spy run on the gateway and the listings processes under the same
load and prints where their time goes (py-spy: ``.venv/bin/pip install py-spy``).

    .venv/bin/python bench/search.py
    .venv/bin/python bench/search.py --profile --keep-profiles /tmp/prof
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.lib.common import ROOT, get_json, say, scratch_dir, start_system, wait_http
from bench.lib.cpu import CpuMeter
from bench.lib.load import Load, add_load_arguments, ensure_wrk, measure
from bench.lib.plans import (
    bookings_probe_keyed,
    execution_ms,
    explain,
    plan_summary,
    scans_listings_sequentially,
)
from bench.lib.profiling import profile
from bench.lib.seed import HOSPITAL, seed
from shared.embedded import free_port


def run(args: argparse.Namespace, data_dir: Path, cleanup: list[Any]) -> dict[str, Any]:
    wrk = ensure_wrk()
    if not wrk:
        say(
            "wrk is not available: falling back to an aiohttp load generator in its own process"
            " (it takes more CPU than wrk, so the figures are pessimistic)"
        )
    say(
        f"starting Postgres and NATS in {data_dir} (fsync off: a benchmark, not a store of record),"
        " every service and the gateway (log level WARNING, no per-address rate limit)"
    )
    stack = start_system(data_dir, cleanup)
    assert stack.database_url and stack.postgres and stack.nats

    window = (date.today() + timedelta(days=30), date.today() + timedelta(days=72))
    say(f"seeding {args.listings:,} listings around the shipped hospitals")
    counts = asyncio.run(
        seed(stack.database_url, args.listings, args.hosts, window, booked=args.booked, overlap=args.overlap)
    )
    print(
        f"    {counts['listings']:,} listings ({counts['active']:,} active), "
        f"{counts['accepted']:,} accepted bookings ({counts['overlapping']:,} over the searched dates),"
        f" {counts['near_target']:,} active listings within 25 km of {HOSPITAL}; seeded in {counts['seconds']}s"
    )

    say("EXPLAIN (ANALYZE, BUFFERS) of the service's search SQL")
    ex = asyncio.run(explain(stack.database_url, window))
    print("    SQL: " + " ".join(ex["sql"].split()))
    print(f"    args: {ex['args']}")
    for label, key in (
        ("hospital lookup", "lookup"),
        ("search, one execution (custom plan)", "custom"),
        ("search, as a cached prepared statement after 10 runs", "cached"),
        ("search, generic plan (forced)", "generic"),
    ):
        print(f"  -- {label}:")
        print("\n".join("    " + line for line in ex[key].splitlines()))
    plans = {k: ex[k] for k in ("custom", "cached", "generic")}
    seq = [k for k, p in plans.items() if scans_listings_sequentially(p)]
    uses_index = {k: "listings_position" in p for k, p in plans.items()}
    print(
        f"    GiST index listings_position used: {uses_index}; sequential scan of listings in: "
        f"{seq or 'none'}; execution {execution_ms(ex['custom'])} ms (custom), "
        f"{execution_ms(ex['cached'])} ms (cached)"
    )
    print(f"    {plan_summary(ex)}")
    if seq:
        print("    WARNING: a plan scans listings sequentially")
    if not bookings_probe_keyed(ex["cached"]):
        print("    WARNING: the cached plan reads every booking over the dates for each candidate")

    query = urllib.parse.urlencode(
        {"hospital_id": HOSPITAL, "from": window[0].isoformat(), "to": window[1].isoformat()}
    )
    gateway_url = f"{stack.url}/api/v1/listings?{query}"
    port = free_port()
    baseline_url = f"http://127.0.0.1:{port}/api/v1/listings?{query}"
    say(f"starting the baseline (bench/baseline_search.py) on port {port}")
    base_log = open(data_dir / "logs" / "baseline.log", "ab")
    # As the listings role, as the service connects: the same privileges checked per query.
    baseline = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "baseline_search.py"), str(port), stack.service_url("listings")],
        stdout=base_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def stop_baseline() -> None:
        if baseline.poll() is None:
            baseline.send_signal(signal.SIGINT)
            try:
                baseline.wait(10)
            except subprocess.TimeoutExpired:
                baseline.kill()
                baseline.wait()
        base_log.close()

    cleanup.append(stop_baseline)
    wait_http(f"http://127.0.0.1:{port}/health", baseline)

    say("sanity check: both answer 200 with the same listings")
    status, body = get_json(gateway_url)
    if status != 200 or not body.get("items"):
        raise RuntimeError(f"gateway answered {status}: {json.dumps(body)[:500]}")
    b_status, b_body = get_json(baseline_url)
    if b_status != 200 or not b_body.get("items"):
        raise RuntimeError(f"baseline answered {b_status}: {json.dumps(b_body)[:500]}")
    g_ids = [i["id"] for i in body["items"]]
    b_ids = [i["id"] for i in b_body["items"]]
    if g_ids != b_ids:
        raise RuntimeError(f"gateway and baseline disagree:\n{g_ids}\n{b_ids}")
    size = len(urllib.request.urlopen(gateway_url).read())
    print(
        f"    {len(g_ids)} items, nearest {body['items'][0]['distance_km']} km, farthest "
        f"{body['items'][-1]['distance_km']} km; gateway reply {size:,} bytes; same ids in both"
    )

    pg, nats_pid = stack.postgres.proc.pid, stack.nats.proc.pid
    services = {k: [p.pid] for k, p in stack.procs.items()}
    meters = {
        "gateway": (gateway_url, CpuMeter({**services, "nats-server": [nats_pid]}, parents={"postgres": pg})),
        "baseline": (baseline_url, CpuMeter({"baseline": [baseline.pid]}, parents={"postgres": pg})),
    }
    # Rounds alternate the two targets, so a burst of other work on the machine does not
    # fall on one of them only; each target's best round is reported. Loaded (at
    # --connections) and unloaded (one connection: the latency the hop adds).
    loads: dict[str, list[Load]] = {"gateway": [], "baseline": []}
    unloaded: dict[str, list[Load]] = {"gateway": [], "baseline": []}
    for r in range(args.rounds):
        for name, (url, meter) in meters.items():
            label = f"{name} (round {r + 1} of {args.rounds})" if args.rounds > 1 else name
            loads[name].append(measure(label, url, wrk, meter, args))
    for r in range(args.rounds):
        for name, (url, meter) in meters.items():
            label = f"{name} unloaded (round {r + 1} of {args.rounds})" if args.rounds > 1 else f"{name} unloaded"
            unloaded[name].append(measure(label, url, wrk, meter, args, connections=1))

    say("the plan of a fresh prepared statement after the load (statistics may have moved)")
    after = asyncio.run(explain(stack.database_url, window))
    print(f"    {plan_summary(after)}")

    prof = profile(stack, gateway_url, wrk, args) if args.profile else None
    best = {k: max(v, key=lambda load: load.rps) for k, v in loads.items()}
    calm = {k: min(v, key=lambda load: load.p50_ms) for k, v in unloaded.items()}
    return {
        "gateway": best["gateway"],
        "baseline": best["baseline"],
        "loads": loads,
        "unloaded": unloaded,
        "calm": calm,
        "profile": prof,
        "wrk": bool(wrk),
        "counts": counts,
    }


# The hops of a request through the system, as the CPU meter names their processes.
HOPS = ("gateway", "listings", "nats-server", "postgres", "load generator")


def hop_table(gateway: Load, baseline: Load) -> tuple[str, dict[str, dict[str, float]]]:
    """Milliseconds of CPU per request in each hop, through the gateway and in the
    baseline, as a table and as figures for the RESULT line."""
    g, b = gateway.cpu_ms(), baseline.cpu_ms()
    others = sum(v for k, v in g.items() if k not in HOPS)
    rows = [
        ("gateway", g.get("gateway", 0.0), None),
        ("service (listings)", g.get("listings", 0.0), b.get("baseline", 0.0)),
        ("nats-server", g.get("nats-server", 0.0), None),
        ("postgres", g.get("postgres", 0.0), b.get("postgres", 0.0)),
        ("load generator", g.get("load generator", 0.0), b.get("load generator", 0.0)),
        ("other services", others, None),
    ]
    lines = ["| hop | through the gateway | baseline |", "| --- | --- | --- |"]
    for name, through, base in rows:
        lines.append(f"| {name} | {through:.3f} ms | {'' if base is None else f'{base:.3f} ms'} |")
    g_total, b_total = sum(g.values()), sum(b.values())
    lines.append(f"| total | {g_total:.3f} ms | {b_total:.3f} ms |")
    figures = {
        "gateway": {k: round(v, 3) for k, v in {**{h: g.get(h, 0.0) for h in HOPS}, "other services": others}.items()},
        "baseline": {k: round(v, 3) for k, v in b.items()},
    }
    return "\n".join(lines), figures


def ceiling(gateway_cpu: dict[str, float], baseline_cpu: dict[str, float]) -> dict[str, float]:
    """What the hop table says about the ratio, for a CPU-bound run (both targets keep the
    cores busy, so requests per second ∝ 1 / CPU per request):

    - ``predicted``: baseline CPU ÷ gateway-path CPU, per request; beside the measured
      ratio, it shows how far the CPU model explains the run;
    - ``ceiling``: the same with the service and Postgres costing no more than the
      baseline's own process and Postgres, so only the gateway and nats-server are added:
      the ratio the architecture allows even if the service did nothing the baseline does
      not do.
    """
    base = sum(baseline_cpu.values())
    through = sum(gateway_cpu.values())
    hops = gateway_cpu.get("gateway", 0.0) + gateway_cpu.get("nats-server", 0.0)
    if not base or not through:
        return {"predicted": 0.0, "ceiling": 0.0, "gateway_and_nats_ms": round(hops, 3)}
    return {
        "predicted": round(base / through, 3),
        "ceiling": round(base / (base + hops), 3),
        "gateway_and_nats_ms": round(hops, 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--listings", type=int, default=100_000)
    ap.add_argument("--hosts", type=int, default=25_000)
    ap.add_argument("--booked", type=float, default=0.08, help="share of listings with a stay")
    ap.add_argument("--overlap", type=float, default=0.33, help="share of stays over the searched dates")
    add_load_arguments(ap, connections=32)
    ap.add_argument("--profile", action="store_true", help="py-spy the gateway and listings under load")
    ap.add_argument("--keep-profiles", metavar="DIR", help="where py-spy's raw stacks go")
    ap.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    args = ap.parse_args()
    started = time.monotonic()
    with scratch_dir("wardmate-bench-search-", keep=args.keep) as (data_dir, cleanup):
        out = run(args, data_dir, cleanup)

    g, b = out["gateway"], out["baseline"]
    gc_, bc = out["calm"]["gateway"], out["calm"]["baseline"]
    if out["profile"]:
        say("profile")
        print(out["profile"])
    print()
    for name, runs in [*out["loads"].items(), *((f"{k} unloaded", v) for k, v in out["unloaded"].items())]:
        figures = (f"{x.rps:.0f} req/s p50 {x.p50_ms:.2f} ms p99 {x.p99_ms:.1f} ms" for x in runs)
        print(f"{name} rounds: " + ", ".join(figures))
    ratio = g.rps / b.rps if b.rps else 0.0
    added = gc_.p50_ms - bc.p50_ms
    foreign = max(x.foreign for runs in [*out["loads"].values(), *out["unloaded"].values()] for x in runs)
    print(
        f"load: {'wrk' if out['wrk'] else 'aiohttp fallback'}, {args.connections} connections, "
        f"{args.duration:.0f}s each; fsync off; services at log level WARNING; {args.listings:,} listings"
    )
    print(f"best round of each at {args.connections} connections:")
    print(f"gateway   {g.rps:8.0f} req/s   p50 {g.p50_ms:6.1f} ms   p99 {g.p99_ms:6.1f} ms")
    print(f"baseline  {b.rps:8.0f} req/s   p50 {b.p50_ms:6.1f} ms   p99 {b.p99_ms:6.1f} ms")
    print(f"unloaded (1 connection), p50: gateway {gc_.p50_ms:.2f} ms, baseline {bc.p50_ms:.2f} ms: +{added:.2f} ms")
    table, hops = hop_table(g, b)
    print(f"CPU per request in each hop (ms), best loaded rounds:\n{table}")
    model = ceiling(g.cpu_ms(), b.cpu_ms())
    print(
        f"CPU model: baseline ÷ gateway-path CPU per request predicts a ratio of {model['predicted']:.2f}"
        f" (measured {ratio:.2f}); the gateway and nats-server alone take {model['gateway_and_nats_ms']:.3f} ms,"
        f" which caps the ratio at {model['ceiling']:.2f} even with the service and Postgres costing"
        " what the baseline's do"
    )
    targets = {
        "ratio >= 0.8": ratio >= 0.8,
        "p99 <= baseline's": g.p99_ms <= b.p99_ms,
        "unloaded +p50 <= 0.5 ms": added <= 0.5,
    }
    if args.listings >= 1_000_000:
        targets["p99 < 50 ms"] = g.p99_ms < 50
    print(
        "targets: "
        + ", ".join(f"{k}: {'holds' if v else 'misses'}" for k, v in targets.items())
        + f"; other processes took up to {foreign * 100:.0f}% of a core during a run"
        + f" ({'quiet' if foreign < 0.1 else 'NOT quiet'}); total {time.monotonic() - started:.0f}s"
    )
    print(
        "RESULT "
        + json.dumps(
            {
                "listings": args.listings,
                "connections": args.connections,
                "ratio": round(ratio, 3),
                "gateway_rps": round(g.rps, 1),
                "gateway_p50_ms": round(g.p50_ms, 2),
                "gateway_p99_ms": round(g.p99_ms, 2),
                "baseline_rps": round(b.rps, 1),
                "baseline_p50_ms": round(b.p50_ms, 2),
                "baseline_p99_ms": round(b.p99_ms, 2),
                "unloaded_gateway_p50_ms": round(gc_.p50_ms, 3),
                "unloaded_baseline_p50_ms": round(bc.p50_ms, 3),
                "unloaded_added_p50_ms": round(added, 3),
                "cpu_ms_per_request": hops,
                "ratio_predicted_by_cpu": model["predicted"],
                "ratio_ceiling": model["ceiling"],
                "foreign_cpu": round(foreign, 3),
                "targets": targets,
            }
        )
    )


if __name__ == "__main__":
    main()
