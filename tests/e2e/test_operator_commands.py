"""The operator commands explain themselves in one line when they cannot act: nothing
running, no or a wrong SERVICE, a backup folder that exists, a bad setting, a port in
use."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from services import runstate


def run(data_dir: Path, *args: str, timeout: float = 30, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "WARDMATE_DATA_DIR": str(data_dir), **env}
    return subprocess.run([sys.executable, "-m", *args], env=full, capture_output=True, text=True, timeout=timeout)


def one_line(out: subprocess.CompletedProcess[str]) -> str:
    lines = (out.stdout + out.stderr).strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.fixture
def stale(tmp_path: Path) -> Path:
    """A data folder that a stopped run left behind: env files, a run.json of a dead pid."""
    data = tmp_path / "data"
    (data / "env").mkdir(parents=True)
    for name in ("accounts", "listings", "messaging", "matching"):
        (data / "env" / f"{name}.env").write_text(
            "WARDMATE_DATABASE_URL=postgresql://x@127.0.0.1:9/wardmate\nWARDMATE_NATS_URL=nats://127.0.0.1:9\n"
        )
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (data / "run.json").write_text(f'{{"pid": {dead.pid}, "mode": "single"}}')
    return data


def test_commands_against_a_stopped_system_say_so_at_once(stale: Path) -> None:
    started = time.monotonic()
    status = run(stale, "services.ops", "status")
    assert status.returncode == 1 and "not running" in one_line(status)
    for args in (("dead-letters", "listings", "list"), ("rebuild-matching",)):
        out = run(stale, "services.ops", *args)
        assert out.returncode == 2 and "Wardmate is not running" in one_line(out) and "make run" in one_line(out)
    folder = stale / "backups" / "new"
    out = run(stale, "services.backup", "create", str(folder))
    assert out.returncode == 1 and "not running" in out.stderr and not folder.exists()
    assert runstate.find(stale) is None
    assert time.monotonic() - started < 20  # no command waited for a server that is not there


def test_dead_letters_needs_a_service_with_consumers(stale: Path) -> None:
    for args in (("dead-letters",), ("dead-letters", "gateway", "list")):
        out = run(stale, "services.ops", *args)
        assert out.returncode == 2, out
        assert "make dead-letters SERVICE=listings" in one_line(out)


def test_make_dead_letters_without_service_names_it_missing(stale: Path, tmp_path: Path) -> None:
    """ARGS's first word is not taken for the service when SERVICE is left out."""
    stamp = tmp_path / "installed"
    stamp.touch()
    later = time.time() + 3600  # newer than pyproject.toml and the lock: make installs nothing
    os.utime(stamp, (later, later))
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-C",
            str(root),
            "dead-letters",
            "ARGS=list",
            f"STAMP={stamp}",
            f"PY={sys.executable}",
        ],
        env={**os.environ, "WARDMATE_DATA_DIR": str(stale)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "SERVICE is not set" in out.stderr and "'list'" not in out.stderr, out.stderr
    assert "usage: make dead-letters SERVICE=listings ARGS=list" in out.stderr


def test_a_backup_never_writes_into_an_existing_folder(tmp_path: Path) -> None:
    folder = tmp_path / "monday"
    folder.mkdir()
    out = run(tmp_path, "services.backup", "create", str(folder), "--admin-url", "postgresql://x@127.0.0.1:9/w")
    assert out.returncode == 1 and "already exists" in out.stderr and "Traceback" not in out.stderr
    assert list(folder.iterdir()) == []


def test_a_bad_setting_is_one_line(tmp_path: Path) -> None:
    out = run(tmp_path, "services", WARDMATE_HTTP_PORT="abc")
    assert out.returncode == 2
    assert one_line(out).startswith("configuration error: WARDMATE_HTTP_PORT='abc': Input should be a valid integer")


def test_a_port_in_use_is_named(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = run(tmp_path, "services", WARDMATE_HTTP_PORT=str(port))
    assert out.returncode == 1
    assert one_line(out).startswith(f"error: port {port} (WARDMATE_HTTP_PORT) is in use")
