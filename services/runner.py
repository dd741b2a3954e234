"""The whole system on one machine: embedded Postgres and NATS, every service, the gateway.

``python -m services`` (what ``make run`` calls) starts it, loads the demo data once, and
prints the URL. The test session uses ``Stack`` to run the same processes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from shared.embedded import Server, free_port, start_nats, start_postgres

PROCESSES = ("accounts", "listings", "messaging", "matching", "gateway")


@dataclass
class Stack:
    """Infrastructure plus service processes, each service its own ``python -m`` process."""

    data_dir: Path
    http_port: int = 0
    fsync: bool = True
    database_url: str | None = None
    nats_url: str | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    postgres: Server | None = None
    nats: Server | None = None
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start_infra(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.database_url is None:
            self.postgres = start_postgres(self.data_dir / "postgres", fsync=self.fsync)
            self.database_url = self.postgres.url
        if self.nats_url is None:
            self.nats = start_nats(self.data_dir / "nats")
            self.nats_url = self.nats.url
        self.http_port = self.http_port or free_port()

    @property
    def env(self) -> dict[str, str]:
        assert self.database_url and self.nats_url
        return {
            **os.environ,
            "WARDMATE_DATABASE_URL": self.database_url,
            "WARDMATE_NATS_URL": self.nats_url,
            "WARDMATE_HTTP_PORT": str(self.http_port),
            "WARDMATE_DATA_DIR": str(self.data_dir),
            **self.extra_env,
        }

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def start(self, name: str, index: int = 0) -> subprocess.Popen[bytes]:
        """Start one process of ``name`` (replica ``index``); its log goes to logs/."""
        logs = self.data_dir / "logs"
        logs.mkdir(exist_ok=True)
        key = name if index == 0 else f"{name}-{index}"
        logf = open(logs / f"{key}.log", "ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", f"services.{name}"],
            env=self.env,
            stdout=logf,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs[key] = proc
        return proc

    def start_all(self) -> None:
        for name in PROCESSES:
            self.start(name)

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            for key, proc in self.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{key} exited ({proc.returncode}); see {self.data_dir}/logs/{key}.log")
            try:
                with urllib.request.urlopen(f"{self.url}/api/v1/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except Exception as exc:
                last = str(exc)
            time.sleep(0.2)
        raise RuntimeError(f"the system did not become healthy in {timeout}s: {last}")

    def stop_process(self, key: str, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        proc = self.procs.pop(key, None)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop(self) -> None:
        for key in list(self.procs):
            proc = self.procs[key]
            if proc.poll() is None:
                proc.terminate()
        for key in list(self.procs):
            self.stop_process(key)
        for server in (self.nats, self.postgres):
            if server is not None:
                with contextlib.suppress(Exception):
                    server.stop()
