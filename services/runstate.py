"""Which ``make run`` / ``make run-cluster`` is running, for the operator commands.

``python -m services`` writes ``<data dir>/run.json`` (its pid, the URLs, every process)
when it has started and removes it when it stops. The operator commands (``make status``,
``make stop``, ``make backup``, ``make dead-letters``, ``make rebuild-matching``) look for
it in the data folder and in its ``cluster/`` folder, so they act on the system that
runs, and say so in one line when none does, instead of reading a stopped run's files.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RUN_FILE = "run.json"


class NotRunningError(RuntimeError):
    """No running system on this data folder; the message says what to type."""


def write(data_dir: Path, state: dict[str, Any]) -> Path:
    path = data_dir / RUN_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"pid": os.getpid(), **state}, indent=2) + "\n")
    tmp.chmod(0o600)
    tmp.replace(path)
    return path


def remove(data_dir: Path) -> None:
    (data_dir / RUN_FILE).unlink(missing_ok=True)


def alive(pid: int) -> bool:
    """A process with this pid exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return True


@dataclass
class Running:
    data_dir: Path
    state: dict[str, Any]

    @property
    def mode(self) -> str:
        return str(self.state.get("mode", "single"))

    def env_file(self, service: str) -> Path:
        return self.data_dir / "env" / f"{service}.env"

    def service_env(self, service: str) -> dict[str, str]:
        """A service's ``WARDMATE_DATABASE_URL`` and ``WARDMATE_NATS_URL``."""
        text = self.env_file(service).read_text()
        return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def candidates(data_dir: Path) -> list[Path]:
    """Where a run of this data folder keeps its files: itself, then its cluster."""
    return [data_dir, data_dir / "cluster"]


def find(data_dir: Path) -> Running | None:
    """The running system of ``data_dir`` (``make run``'s or ``make run-cluster``'s)."""
    for folder in candidates(data_dir):
        path = folder / RUN_FILE
        try:
            state = json.loads(path.read_text())
        except (FileNotFoundError, ValueError):
            continue
        if isinstance(state.get("pid"), int) and alive(state["pid"]):
            return Running(folder, state)
    return None


def leftovers(data_dir: Path) -> dict[str, int]:
    """The servers (Postgres, NATS) that a run killed outright left running: named in its
    ``run.json``, whose runner is gone, and still running on this data folder (their
    command line names it, so a pid the system gave to another program since is left be)."""
    try:
        state = json.loads((data_dir / RUN_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return {}
    if not isinstance(state.get("pid"), int) or alive(state["pid"]):
        return {}
    found = {}
    for name, server in state.get("servers", {}).items():
        pid = server.get("pid")
        if isinstance(pid, int) and alive(pid) and str(data_dir) in command_line(pid):
            found[name] = pid
    return found


def wait_gone(pid: int, timeout: float, every_s: float = 0.1) -> bool:
    """Wait until ``pid`` has exited; False if it still runs after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(every_s)
    return True


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def require(data_dir: Path) -> Running:
    running = find(data_dir)
    if running is None:
        raise NotRunningError(
            f"Wardmate is not running on {data_dir} (no live make run or make run-cluster there): "
            "start it with make run (or make run-cluster) first"
        )
    return running
