"""``make run`` supervises its children: a replica killed with -9 is reported at once and
restarted with back-off; NATS killed stops everything with a clear message."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from services import runstate
from shared.embedded import free_port
from tests.eventually import eventually_sync


@dataclass
class MakeRun:
    proc: subprocess.Popen[bytes]
    out: Path
    url: str

    def text(self) -> str:
        return self.out.read_text(errors="replace")

    def wait_for(self, pattern: str, timeout: float, start: int = 0) -> re.Match[str]:
        """The first match of ``pattern`` in the output after offset ``start``."""
        deadline = time.monotonic() + timeout
        while True:
            found = re.search(pattern, self.text()[start:])
            if found:
                return found
            assert self.proc.poll() is None or time.monotonic() < deadline, self.text()
            assert time.monotonic() < deadline, f"no {pattern!r} in:\n{self.text()}"
            time.sleep(0.05)

    def pid(self, what: str) -> int:
        return int(self.wait_for(rf"{what} \(pid (\d+)\)", 1).group(1))


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/v1/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def launch(tmp_path: Path, port: int, out: Path) -> MakeRun:
    """``python -m services`` (what ``make run`` runs) on ``tmp_path``'s data folder."""
    env = {
        **os.environ,
        "WARDMATE_DATA_DIR": str(tmp_path / "data"),
        "WARDMATE_HTTP_PORT": str(port),
        "WARDMATE_LOG_LEVEL": "WARNING",
    }
    with open(out, "wb") as sink:
        proc = subprocess.Popen(
            # No demo data: what is supervised is the same, and loading it took ~15 s a run.
            [sys.executable, "-m", "services", "--no-demo"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return MakeRun(proc, out, f"http://127.0.0.1:{port}")


def end(run: MakeRun) -> None:
    if run.proc.poll() is None:
        run.proc.send_signal(signal.SIGTERM)
        try:
            run.proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(run.proc.pid, signal.SIGKILL)
            run.proc.wait()


@pytest.fixture
def make_run(tmp_path: Path) -> Iterator[MakeRun]:
    """A running ``python -m services`` on a data folder and port of its own."""
    run = launch(tmp_path, free_port(), tmp_path / "out.txt")
    try:
        run.wait_for("Wardmate is running", 120)
        yield run
    finally:
        end(run)


def test_a_killed_replica_is_restarted_with_back_off_and_a_dead_nats_stops_everything(make_run: MakeRun) -> None:
    """kill -9 of listings is reported within a second and the replica restarted (the
    system healthy again); killed again at once, it waits twice as long. kill -9 of NATS
    stops every process with a message naming it, and make run exits 1."""
    children = [
        make_run.pid(f"started {name}") for name in ("accounts", "listings", "messaging", "matching", "gateway")
    ]
    postgres, nats = make_run.pid("postgres on [^ ]+"), make_run.pid("nats on [^ ]+")
    listings = children[1]

    mark = len(make_run.text())
    killed_at = time.monotonic()
    os.kill(listings, signal.SIGKILL)
    make_run.wait_for(rf"!! listings \(pid {listings}\) exited unexpectedly \(killed by SIGKILL\)", 5, mark)
    assert time.monotonic() - killed_at < 1.5, "not reported at once"
    assert "restarting it in 0.5 s" in make_run.text()[mark:]
    restarted = int(make_run.wait_for(r"==> restarted listings \(pid (\d+)\)", 5, mark).group(1))
    assert restarted != listings and runstate.alive(restarted)

    # Dying again right away doubles the wait.
    mark = len(make_run.text())
    os.kill(restarted, signal.SIGKILL)
    make_run.wait_for(rf"!! listings \(pid {restarted}\) exited unexpectedly .* restarting it in 1 s", 5, mark)
    again = int(make_run.wait_for(r"==> restarted listings \(pid (\d+)\)", 5, mark).group(1))
    eventually_sync(lambda: healthy(make_run.url), 60, what="the restarted replica to serve", interval=0.2)

    os.kill(nats, signal.SIGKILL)
    assert make_run.proc.wait(60) == 1
    text = make_run.text()
    assert re.search(rf"!! nats-server \(pid {nats}\) exited unexpectedly \(killed by SIGKILL\); .*stopping", text)
    assert text.rstrip().endswith("stopped.")
    left = [pid for pid in [*children[:1], *children[2:], again, postgres] if runstate.alive(pid)]
    assert not left, f"still running: {left}"


def children_of(pid: int) -> dict[int, str]:
    """The processes whose parent is ``pid``, with their command lines."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
        if ppid == pid:
            found[int(stat.parent.name)] = runstate.command_line(int(stat.parent.name))
    return found


def test_services_leave_when_the_runner_is_killed_outright(make_run: MakeRun, tmp_path: Path) -> None:
    """kill -9 of the runner itself (the OOM killer, a closed terminal's SIGKILL) cannot
    stop its children: each service, the gateway, the mail sink and localstripe notice
    their parent is gone and stop within seconds instead of retrying NATS forever. Postgres
    and NATS, programs of their own, stay up: the next run stops them and starts on the
    same data folder (else Postgres would refuse a folder another Postgres holds)."""
    children = children_of(make_run.proc.pid)
    leaving = re.compile(r"-m (services|shared\.(mailsink|localstripe))")
    ours = {pid: cmd for pid, cmd in children.items() if leaving.search(cmd)}
    started = {int(pid) for pid in re.findall(r"started [\w-]+ \(pid (\d+)\)", make_run.text())}
    assert started <= set(ours) and len(ours) == len(started) + 2, children  # + the mail sink and localstripe
    servers = {"postgres": make_run.pid("postgres on [^ ]+"), "nats": make_run.pid("nats on [^ ]+")}
    again = None
    try:
        make_run.proc.kill()
        make_run.proc.wait(10)
        eventually_sync(
            lambda: [cmd for pid, cmd in ours.items() if runstate.alive(pid)],
            30,
            what="every service to leave after its runner was killed",
            until=lambda left: not left,
            interval=0.2,
        )
        assert all(runstate.alive(pid) for pid in servers.values())

        again = launch(tmp_path, free_port(), tmp_path / "again.txt")
        again.wait_for("Wardmate is running", 120)
        for name, pid in servers.items():
            assert f"stopping {name} (pid {pid}), left running by a run that was killed" in again.text()
            assert not runstate.alive(pid)
        eventually_sync(lambda: healthy(again.url), 60, what="the new run to serve", interval=0.2)
    finally:
        if again is not None:
            end(again)
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
