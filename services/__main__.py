"""``python -m services`` (``make run``): the whole Wardmate system on this machine."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time

from tqdm import tqdm

from services.accounts.admin import ensure_admin
from services.demo import ADMIN, DEMO_STEPS, PASSWORD, load_demo
from services.runner import PROCESSES, SERVICES_WITH_SCHEMA, InfrastructureDiedError, Stack, Supervisor
from shared.settings import Settings


def step(text: str) -> None:
    print(f"==> {text}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m services", description=__doc__)
    parser.add_argument(
        "--cluster",
        action="store_true",
        help="a 3-server NATS cluster (streams replicated 3 times) and two replicas of every process"
        " (make run-cluster); its data goes to <data dir>/cluster",
    )
    parser.add_argument(
        "--postgres-per-service",
        action="store_true",
        help="an embedded Postgres server for each service (in <data dir>/postgres-<service>) instead of one",
    )
    args = parser.parse_args()
    settings = Settings()
    data_dir = settings.data_dir.resolve()
    own = SERVICES_WITH_SCHEMA if args.postgres_per_service else ()
    if args.cluster:
        data_dir = data_dir / "cluster"
        stack = Stack(data_dir=data_dir, http_port=settings.http_port, nats_nodes=3, replicas=2, own_postgres=own)
    else:
        stack = Stack(data_dir=data_dir, http_port=settings.http_port, own_postgres=own)
    stopping = False
    failed = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            raise KeyboardInterrupt

    # Installed for SIGINT too: a shell may start us with SIGINT ignored (a background job).
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        step(f"starting Postgres and NATS (data in {data_dir})")
        stack.start_infra()
        assert stack.postgres
        print(f"    postgres on 127.0.0.1:{stack.postgres.port} (pid {stack.postgres.proc.pid})")
        for name, server in stack.postgres_of.items():
            print(f"    postgres of {name} on 127.0.0.1:{server.port} (pid {server.proc.pid})")
        servers = {"nats": stack.nats} if stack.nats else stack.nats_cluster
        for key, server in servers.items():
            assert server is not None
            print(f"    {key} on 127.0.0.1:{server.port} (pid {server.proc.pid})")
        stack.write_env_files()
        step("preparing the operator account")
        asyncio.run(ensure_admin(stack.service_url("accounts"), *ADMIN))
        for index in range(stack.replicas):
            for name in PROCESSES:
                proc = stack.start(name, index)
                step(f"started {name if index == 0 else f'{name}-{index}'} (pid {proc.pid})")
        step("waiting for every service to answer")
        for index in range(stack.replicas):
            stack.wait_healthy(timeout=90, gateway=index)
        marker = data_dir / "demo-loaded"
        if marker.exists():
            step("demo data already loaded (kept from the last run)")
        else:
            step("loading demo data through the API")
            with tqdm(total=DEMO_STEPS, unit="step", ncols=70) as bar:
                stripe_url = stack.stripe.url if stack.stripe else None
                demo = asyncio.run(load_demo(stack.url, bar.update, stripe_url=stripe_url))
            marker.write_text("\n".join(f"{e} ({r})" for e, r in demo["logins"]) + "\n")
        print()
        print(f"Wardmate is running at {stack.url}/")
        for other in stack.gateway_urls[1:]:
            print(f"  and at {other}/ (another gateway replica)")
        print(f"  API docs:  {stack.url}/api/docs      health: {stack.url}/api/v1/health")
        if stack.stripe:
            print(f"  Stripe:    localstripe at {stack.stripe.url} (test cards: README, Payments)")
        print(f"  demo logins (password {PASSWORD}):")
        for line in marker.read_text().splitlines():
            print(f"    {line}")
        print(f"  operator:  {ADMIN[0]} / {ADMIN[1]}")
        print("  Prometheus metrics (/metrics on each process's port):")
        for job, targets in stack.metrics_targets().items():
            print(f"    {job:<10} " + "  ".join(f"{key} {target}" for key, target in targets.items()))
        config = stack.write_prometheus_config(data_dir / "prometheus.yml")
        print(f"  scrape them all: prometheus --config.file={config}")
        print(f"  logs in {data_dir / 'logs'}; press Ctrl-C to stop.", flush=True)
        parent = os.getppid()
        supervisor = Supervisor(stack, report=lambda line: print(line, flush=True))
        while True:
            # Often enough that a dead child is reported at once, at no measurable cost.
            time.sleep(0.2)
            if os.getppid() != parent:
                break  # whoever started us (make) is gone: stop rather than linger
            supervisor.check()
    except KeyboardInterrupt:
        pass
    except InfrastructureDiedError as exc:
        print(f"!! {exc}", file=sys.stderr, flush=True)
        failed = True
    except Exception as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    finally:
        step("stopping")
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stack.stop()
        print("stopped.", flush=True)
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
