"""Debian's Prometheus for the tests: installed when missing, run on a free loopback port."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.embedded import free_port
from tests.eventually import eventually_sync


def ensure_debian_package(package: str, command: str) -> str:
    """The path of ``command``, installing Debian's ``package`` first when it is missing
    (a fresh machine); skips the test where that cannot be done (not root, no apt-get)."""
    found = shutil.which(command)
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip(f"{command} is missing and apt-get cannot install {package} here")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", package]
    # The package lists may be absent or stale on a fresh machine: update once and retry.
    for steps in ([install], [["apt-get", "update", "-q"], install]):
        for step in steps:
            subprocess.run(step, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
        found = shutil.which(command)
        if found:
            return found
    raise RuntimeError(f"apt-get could not install {package}")


class Prometheus:
    """A running Prometheus and its HTTP API."""

    def __init__(self, url: str) -> None:
        self.url = url

    def api(self, path: str, **params: str) -> Any:
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.url}/api/v1/{path}?{query}", timeout=5) as r:
            body = json.load(r)
        assert body["status"] == "success", body
        return body["data"]

    def scalar(self, promql: str) -> float | None:
        """The value of an instant query that yields one series, or None when it has none."""
        result = self.api("query", query=promql)["result"]
        assert len(result) <= 1, result
        return float(result[0]["value"][1]) if result else None


@contextlib.contextmanager
def run_prometheus(config: Path, data_dir: Path, timeout: float = 30) -> Iterator[Prometheus]:
    """Start Prometheus on ``config`` with its storage in ``data_dir``; stop it on exit."""
    binary = ensure_debian_package("prometheus", "prometheus")
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log = open(data_dir / "prometheus.log", "ab")
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={data_dir / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            assert proc.poll() is None, f"prometheus exited ({proc.returncode}); see {data_dir / 'prometheus.log'}"
            with urllib.request.urlopen(f"{url}/-/ready", timeout=1) as r:
                return r.status == 200  # type: ignore[no-any-return]

        eventually_sync(ready, timeout, what="prometheus to become ready", interval=0.1, retry_on=(OSError,))
        yield Prometheus(url)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
