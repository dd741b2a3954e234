"""Ready means usable: ``make run``'s health answers 200 only once the demo data is
loaded (503 ``starting`` before), while the gateway's liveness answers from the start;
then ``make status``, ``make dead-letters`` and ``make stop`` find that run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from services.demo import PASSWORD, STUDENTS, email_for
from shared.embedded import free_port


def get(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def login(base: str, email: str) -> int:
    body = json.dumps({"email": email, "password": PASSWORD}).encode()
    req = urllib.request.Request(
        f"{base}/api/v1/auth/login", body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def ops(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.ops", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_health_is_ok_only_once_a_demo_user_can_log_in(tmp_path: Path) -> None:
    """A script that waits for health 200 and then logs in as the last demo student
    succeeds at once; before, health said 503 ``starting`` with every service up."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "WARDMATE_DATA_DIR": str(tmp_path / "data"), "WARDMATE_HTTP_PORT": str(port)}
    with open(tmp_path / "out.txt", "wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "services"], env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        seen: list[str] = []
        live = False
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, (tmp_path / "out.txt").read_text()
            assert time.monotonic() < deadline, seen
            try:
                live = live or get(f"{base}/api/v1/health/live")[0] == 200
                status, body = get(f"{base}/api/v1/health")
            except OSError:
                time.sleep(0.1)
                continue
            if not seen or seen[-1] != body.get("status"):
                seen.append(str(body.get("status")))
            if status == 200:
                break
            if body.get("status") == "starting":
                assert set(body["services"].values()) == {"up"}, body  # type: ignore[union-attr]
            time.sleep(0.1)
        assert login(base, email_for(STUDENTS[-1][0])) == 200
        assert "starting" in seen and seen[-1] == "ok", seen
        assert live

        # The operator commands find this run: make status, make dead-letters, make stop.
        status = ops(env, "status")
        assert status.returncode == 0, status.stdout + status.stderr
        assert f"{base}/api/v1/health: 200 ok" in status.stdout and "gateway" in status.stdout
        letters = ops(env, "dead-letters", "listings", "list")
        assert letters.returncode == 0, letters.stderr
        stopped = ops(env, "stop")
        assert stopped.returncode == 0 and stopped.stdout.strip().endswith("stopped."), stopped.stdout
        assert proc.poll() == 0
        assert not (tmp_path / "data" / "run.json").exists()
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
