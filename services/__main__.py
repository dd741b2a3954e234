"""``python -m services`` (``make run``): the whole Wardmate system on this machine."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time

from tqdm import tqdm

from services.accounts.admin import ensure_admin
from services.demo import ADMIN, DEMO_STEPS, PASSWORD, load_demo
from services.runner import PROCESSES, InfrastructureDiedError, Stack, Supervisor
from shared.settings import Settings


def step(text: str) -> None:
    print(f"==> {text}", flush=True)


def main() -> None:
    settings = Settings()
    data_dir = settings.data_dir.resolve()
    stack = Stack(data_dir=data_dir, http_port=settings.http_port)
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
        assert stack.postgres and stack.nats
        print(
            f"    postgres on 127.0.0.1:{stack.postgres.port} (pid {stack.postgres.proc.pid}),"
            f" nats on 127.0.0.1:{stack.nats.port} (pid {stack.nats.proc.pid})"
        )
        stack.write_env_files()
        step("preparing the operator account")
        asyncio.run(ensure_admin(stack.service_url("accounts"), *ADMIN))
        for name in PROCESSES:
            proc = stack.start(name)
            step(f"started {name} (pid {proc.pid})")
        step("waiting for every service to answer")
        stack.wait_healthy(timeout=90)
        marker = data_dir / "demo-loaded"
        if marker.exists():
            step("demo data already loaded (kept from the last run)")
        else:
            step("loading demo data through the API")
            with tqdm(total=DEMO_STEPS, unit="step", ncols=70) as bar:
                demo = asyncio.run(load_demo(stack.url, bar.update))
            marker.write_text("\n".join(f"{e} ({r})" for e, r in demo["logins"]) + "\n")
        print()
        print(f"Wardmate is running at {stack.url}/")
        print(f"  API docs:  {stack.url}/api/docs      health: {stack.url}/api/v1/health")
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
