"""Small pieces every benchmark run uses: progress lines, the scratch data folder a run
starts its system in, HTTP readiness and JSON helpers, a percentile, and the event loop
the gateway itself runs on."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp

from services.runner import Stack
from shared import runtime
from shared.mailsink import Mailbox

ROOT = Path(__file__).resolve().parent.parent.parent


def say(text: str) -> None:
    print(f"==> {text}", flush=True)


@contextlib.contextmanager
def scratch_dir(prefix: str, keep: bool = False) -> Iterator[tuple[Path, list[Any]]]:
    """A temporary data folder and a list of cleanup steps (run last first on the way out,
    whatever happened); the folder is removed unless ``keep``."""
    data_dir = Path(tempfile.mkdtemp(prefix=prefix))
    cleanup: list[Any] = []
    try:
        yield data_dir, cleanup
    finally:
        for step in reversed(cleanup):
            with contextlib.suppress(Exception):
                step()
        if keep:
            print(f"data kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


# As the benchmarks run the system: services logging at WARNING (per-request log lines
# would be measured too) and the gateway's per-address rate limit off (the load comes
# from one address).
BENCH_ENV = {"WARDMATE_LOG_LEVEL": "WARNING", "WARDMATE_RATE_LIMIT_PER_S": "0"}


def start_system(data_dir: Path, cleanup: list[Any], extra_env: dict[str, str] | None = None) -> Stack:
    """A fresh system (embedded Postgres and NATS, every service, the gateway) in
    ``data_dir``, healthy; its stop is added to ``cleanup``. Postgres runs with fsync off:
    a benchmark measures the read path, not the disk."""
    stack = Stack(data_dir, fsync=False, extra_env={**BENCH_ENV, **(extra_env or {})})
    cleanup.append(stack.stop)
    stack.start_infra()
    stack.start_all()
    stack.wait_healthy(timeout=120)
    return stack


def get_json(url: str, token: str | None = None) -> tuple[int, dict[str, Any]]:
    """(status, body) of a GET; ``token``: a bearer token to send."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Until ``url`` answers 200; fails early when ``proc`` (its server) exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the process exited ({proc.returncode})")
        with contextlib.suppress(Exception), urllib.request.urlopen(url, timeout=1) as r:
            if r.status == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer in {timeout}s")


def wait_port(port: int, timeout: float = 10) -> None:
    """Until something listens on ``port`` of the loopback."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing opened port {port} in {timeout}s")


async def signup(
    http: aiohttp.ClientSession, base: str, name: str, role: str = "student", mailbox: Mailbox | None = None
) -> dict[str, str]:
    """A new user through the REST API: their ``id`` and ``token``; with ``mailbox`` (the
    system's mail sink) their address is confirmed by the mailed link, as writing needs."""
    email = f"{name}-{uuid.uuid4().hex[:10]}@bench.wardmate.test"
    async with http.post(
        f"{base}/api/v1/auth/signup",
        json={"email": email, "password": "bench-password-1", "display_name": name, "role": role},
    ) as r:
        assert r.status == 201, await r.text()
        body = await r.json()
    if mailbox is not None:
        await confirm_email(http, base, email, mailbox)
    return {"id": body["user"]["id"], "token": body["token"]}


async def confirm_email(http: aiohttp.ClientSession, base: str, email: str, mailbox: Mailbox) -> None:
    """Follow the confirmation link mailed to ``email``."""
    [mail] = await mailbox.wait_for(email, lambda m: "Confirm your email address" in m.subject, timeout=60)
    token = mail.link("verify-email").rsplit("token=", 1)[1]
    async with http.post(f"{base}/api/v1/auth/verify-email", json={"token": token}) as r:
        assert r.status == 200, await r.text()


def quantile(values: list[float], q: int) -> float:
    """The ``q``-th percentile (1..99) of ``values``, inclusive method."""
    if len(values) > 1:
        return statistics.quantiles(values, n=100, method="inclusive")[q - 1]
    return (values or [0.0])[0]


def new_loop() -> asyncio.AbstractEventLoop:
    """The services' event loop (uvloop when installed): ``shared.runtime``'s."""
    return runtime.new_event_loop()
