"""Supervision under `make run`: a dead service is restarted with back-off; a dead Postgres or
NATS stops everything."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from services.runner import Stack


def split_key(key: str) -> tuple[str, int]:
    """``listings-1`` -> ``("listings", 1)``; ``listings`` -> ``("listings", 0)``."""
    name, _, index = key.partition("-")
    return name, int(index or 0)


def describe_exit(returncode: int) -> str:
    """``exit status 1`` or ``killed by SIGKILL``, for a Popen returncode."""
    if returncode < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-returncode).name}"
        return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


class InfrastructureDiedError(RuntimeError):
    """Postgres or NATS exited: every service depends on them, so the system stops."""


@dataclass
class Supervisor:
    """Watches a running ``Stack`` (``make run``): a service or gateway process that exits
    is reported at once and restarted after a back-off that doubles while it keeps dying
    (``min_backoff_s`` up to ``max_backoff_s``; it resets once a process ran ``stable_s``);
    Postgres or NATS exiting raises ``InfrastructureDiedError``, for the caller to stop
    everything rather than leave services running against a dead server."""

    stack: Stack
    report: Callable[[str], None]
    min_backoff_s: float = 0.5
    max_backoff_s: float = 30.0
    stable_s: float = 30.0
    failures: dict[str, int] = field(default_factory=dict)
    # Processes waiting for their restart: key -> when (monotonic).
    pending: dict[str, float] = field(default_factory=dict)

    def check(self) -> None:
        """One look at every child (call it often: it never waits)."""
        infrastructure = [
            ("postgres", "postgres", self.stack.postgres),
            *((f"postgres of {name}", f"postgres-{name}", server) for name, server in self.stack.postgres_of.items()),
            ("nats-server", "nats", self.stack.nats),
        ]
        for what, folder, server in infrastructure:
            if server is not None and server.proc.poll() is not None:
                log = self.stack.data_dir / folder / "server.log"
                raise InfrastructureDiedError(
                    f"{what} (pid {server.proc.pid}) exited unexpectedly ({describe_exit(server.proc.returncode)}); "
                    f"every service depends on it, so Wardmate is stopping everything. See {log}, then start "
                    "again with make run (the data is kept)."
                )
        now = time.monotonic()
        for key, proc in list(self.stack.procs.items()):
            if proc.poll() is None:
                continue
            del self.stack.procs[key]
            self._schedule(key, proc, now, self.stack.data_dir / "logs" / f"{key}.log")
        # A cluster keeps serving without one of its servers: restart it like a replica.
        for key, server in self.stack.nats_cluster.items():
            if key not in self.pending and server.proc.poll() is not None:
                self._schedule(key, server.proc, now, self.stack.data_dir / key / "server.log")
        for key, due in list(self.pending.items()):
            if now >= due:
                del self.pending[key]
                if key in self.stack.nats_cluster:
                    pid = self.stack.start_nats_node(key).proc.pid
                else:
                    pid = self.stack.start(*split_key(key)).pid
                self.report(f"==> restarted {key} (pid {pid})")

    def _schedule(self, key: str, proc: subprocess.Popen[bytes], now: float, log: Path) -> None:
        ran = now - self.stack.started_at.get(key, now)
        failures = 0 if ran >= self.stable_s else self.failures.get(key, 0)
        delay = min(self.min_backoff_s * 2**failures, self.max_backoff_s)
        self.failures[key] = failures + 1
        self.pending[key] = now + delay
        self.report(
            f"!! {key} (pid {proc.pid}) exited unexpectedly ({describe_exit(proc.returncode)}) after {ran:.1f} s; "
            f"restarting it in {delay:g} s (log: {log})"
        )
