"""The services' container health check pings its own process, not any replica: a hung
replica is unhealthy although another replica of the service answers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from services.runner import Stack


def check(env: dict[str, str]) -> int:
    out = subprocess.run([sys.executable, "-m", "shared.healthcheck", "listings"], env=env, timeout=30)
    return out.returncode


def test_a_hung_replica_is_unhealthy_while_another_answers(stack: Stack, tmp_path: Path) -> None:
    # Its own temporary folder: what a container is to the check.
    env = {**stack.env("listings"), "TMPDIR": str(tmp_path)}
    env.pop("WARDMATE_METRICS_PORT", None)
    assert check(env) == 1  # no listings process in this "container" yet
    with open(tmp_path / "listings.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "services.listings"], env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while check(env) != 0:
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "listings.log").read_text()
            time.sleep(0.3)
        os.kill(proc.pid, signal.SIGSTOP)
        try:
            assert check(env) == 1  # the session's listings replica still answers $SRV.PING.listings
        finally:
            os.kill(proc.pid, signal.SIGCONT)
        assert check(env) == 0
    finally:
        proc.terminate()
        proc.wait(30)
    assert check(env) == 1 and not list(tmp_path.glob("wardmate-listings-*.id"))
