"""``python -m services`` (``make run``): the whole Wardmate system on this machine."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
from pathlib import Path

from tqdm import tqdm

from services import logfiles, runstate
from services.accounts.admin import ensure_admin
from services.demo import ADMIN, DEMO_STEPS, PASSWORD, load_demo
from services.runner import PROCESSES, SERVICES_WITH_SCHEMA, Stack
from services.supervisor import InfrastructureDiedError, Supervisor
from shared.embedded import port_in_use
from shared.mailsink import Mailbox
from shared.settings import load_settings


def step(text: str) -> None:
    print(f"==> {text}", flush=True)


def stop_leftovers(data_dir: Path, timeout: float = 60) -> None:
    """Stop the Postgres and NATS that a run killed outright (SIGKILL, the OOM killer) left
    on this data folder; its services left by themselves (``runtime.leave_with_parent``).
    Otherwise Postgres would refuse to start on a folder another Postgres holds."""
    for name, pid in runstate.leftovers(data_dir).items():
        step(f"stopping {name} (pid {pid}), left running by a run that was killed")
        os.kill(pid, signal.SIGINT)  # Postgres: fast shutdown; NATS: a clean stop
        if not runstate.wait_gone(pid, timeout):
            os.kill(pid, signal.SIGKILL)
            runstate.wait_gone(pid, 10)


def state_of(stack: Stack, mode: str, phase: str) -> dict[str, object]:
    """What ``make status`` shows: every server and process with its pid and log."""
    servers = {"postgres": (stack.postgres, "postgres")}
    servers.update({f"postgres-{n}": (s, f"postgres-{n}") for n, s in stack.postgres_of.items()})
    servers.update({"nats": (stack.nats, "nats")} if stack.nats else {k: (s, k) for k, s in stack.nats_cluster.items()})
    return {
        "mode": mode,
        "phase": phase,
        "gateways": stack.gateway_urls,
        "nats_url": stack.nats_url,
        "servers": {
            name: {
                "pid": server.proc.pid,
                "address": f"127.0.0.1:{server.port}",
                "log": str(stack.data_dir / d / "server.log"),
            }
            for name, (server, d) in servers.items()
            if server is not None
        },
        "processes": {
            key: {
                "pid": proc.pid,
                "metrics": f"127.0.0.1:{stack.metrics_ports.get(key, 0)}",
                "log": str(stack.data_dir / "logs" / f"{key}.log"),
            }
            for key, proc in list(stack.procs.items())
        },
    }


def fixed_metrics_ports(stack: Stack, base: int) -> None:
    """``--metrics-ports N``: accounts N, listings N+1, ... gateway N+4, then the replicas,
    the same on every run (a Prometheus scraping them needs no new configuration)."""
    keys = [name if index == 0 else f"{name}-{index}" for index in range(stack.replicas) for name in PROCESSES]
    for offset, key in enumerate(keys):
        port = base + offset
        if port_in_use(port):
            raise SystemExit(f"error: metrics port {port} (for {key}, from --metrics-ports {base}) is in use")
        stack.metrics_ports[key] = port


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
    parser.add_argument(
        "--metrics-ports",
        type=int,
        metavar="N",
        help="fixed metrics ports from N (accounts N, listings N+1, messaging N+2, matching N+3, gateway N+4,"
        " replicas after) instead of free ones",
    )
    parser.add_argument(
        "--no-demo",
        action="store_true",
        help="do not load the demo data (on a new data folder, an empty system with the operator account only)",
    )
    parser.add_argument(
        "--background",
        action="store_true",
        help="keep running when the starting shell exits (make start; stop it with make stop)",
    )
    args = parser.parse_args()
    settings = load_settings()
    data_dir = settings.data_dir.resolve()
    own = SERVICES_WITH_SCHEMA if args.postgres_per_service else ()
    if args.cluster:
        data_dir = data_dir / "cluster"
        stack = Stack(data_dir=data_dir, http_port=settings.http_port, nats_nodes=3, replicas=2, own_postgres=own)
    else:
        stack = Stack(data_dir=data_dir, http_port=settings.http_port, own_postgres=own)
    already = runstate.find(data_dir)
    if already is not None and already.data_dir == data_dir:
        raise SystemExit(
            f"error: Wardmate already runs on {data_dir} (pid {already.state['pid']}): see make status, or make stop"
        )
    stop_leftovers(data_dir)
    if settings.http_port and port_in_use(settings.http_port, settings.http_host):
        raise SystemExit(
            f"error: port {settings.http_port} (WARDMATE_HTTP_PORT) is in use by another program: stop it, or"
            f" choose another port, e.g. WARDMATE_HTTP_PORT={settings.http_port + 1} make run"
        )
    if args.metrics_ports:
        fixed_metrics_ports(stack, args.metrics_ports)
    # Each run starts new logs; the last 3 runs' are kept as <name>.log.1 .. .3.
    if data_dir.exists():
        logfiles.rotate_all(data_dir)
    # Health says ok only once this exists: after the demo data (make run's readiness).
    ready = data_dir / "ready"
    ready.unlink(missing_ok=True)
    stack.extra_env["WARDMATE_READY_FILE"] = str(ready)
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
        mode = "cluster" if args.cluster else "single"
        runstate.write(data_dir, state_of(stack, mode, "starting"))
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
        elif args.no_demo:
            step("no demo data (--no-demo)")
        else:
            step("loading demo data through the API")
            with tqdm(total=DEMO_STEPS, unit="step", ncols=70) as bar:
                stripe_url = stack.stripe.url if stack.stripe else None
                demo = asyncio.run(load_demo(stack.url, bar.update, Mailbox(stack.mail_dir), stripe_url=stripe_url))
            marker.write_text("\n".join(f"{e} ({r})" for e, r in demo["logins"]) + "\n")
        ready.touch()
        runstate.write(data_dir, state_of(stack, mode, "ready"))
        print()
        print(f"Wardmate is running at {stack.url}/")
        for other in stack.gateway_urls[1:]:
            print(f"  and at {other}/ (another gateway replica)")
        print(f"  API docs:  {stack.url}/api/docs      health: {stack.url}/api/v1/health")
        if stack.stripe:
            print(f"  Stripe:    localstripe at {stack.stripe.url} (test cards: README, Payments)")
        if marker.exists():
            print(f"  demo logins (password {PASSWORD}):")
            for line in marker.read_text().splitlines():
                print(f"    {line}")
        print(f"  operator:  {ADMIN[0]} / {ADMIN[1]}")
        if stack.mail_sink is not None:
            print(f"  mail: every mail goes to the SMTP sink on 127.0.0.1:{stack.mail_sink.port}, kept as .eml in")
            print(f"        {stack.mail_dir} (open one in a mail client, or read it as text)")
        print("  Prometheus metrics (/metrics on each process's port):")
        for job, targets in stack.metrics_targets().items():
            print(f"    {job:<10} " + "  ".join(f"{key} {target}" for key, target in targets.items()))
        config = stack.write_prometheus_config(data_dir / "prometheus.yml")
        print(f"  scrape them all: prometheus --config.file={config}")
        print(f"  logs in {data_dir / 'logs'}; press Ctrl-C to stop.", flush=True)
        parent = os.getppid()

        def report(line: str) -> None:
            print(line, flush=True)
            runstate.write(data_dir, state_of(stack, mode, "ready"))  # new pids for make status

        supervisor = Supervisor(stack, report=report)
        next_rotation = time.monotonic() + 60
        while True:
            # Often enough that a dead child is reported at once, at no measurable cost.
            time.sleep(0.2)
            if os.getppid() != parent and not args.background:
                break  # whoever started us (make) is gone: stop rather than linger
            supervisor.check()
            if time.monotonic() > next_rotation:
                next_rotation = time.monotonic() + 60
                logfiles.rotate_all(data_dir, over_bytes=logfiles.MAX_BYTES)
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
        ready.unlink(missing_ok=True)
        runstate.remove(data_dir)
        stack.stop()
        print("stopped.", flush=True)
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
