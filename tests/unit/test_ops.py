"""Pieces of make run's operations: log rotation, fixed metrics ports, the run state."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from services import logfiles, runstate
from services.__main__ import fixed_metrics_ports
from services.runner import Stack
from shared.embedded import free_port


def test_each_rotation_keeps_three_older_generations(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "listings.log"
    log.parent.mkdir()
    for run in range(1, 6):
        log.write_text(f"run {run}\n")
        logfiles.rotate_all(tmp_path)
    assert log.read_text() == ""
    assert [log.with_name(f"listings.log.{n}").read_text() for n in (1, 2, 3)] == ["run 5\n", "run 4\n", "run 3\n"]
    assert not log.with_name("listings.log.4").exists()


def test_a_live_log_is_truncated_in_place_and_its_writer_goes_on(tmp_path: Path) -> None:
    log = tmp_path / "postgres" / "server.log"
    log.parent.mkdir()
    with open(log, "ab") as writer:  # as the processes hold their logs: O_APPEND
        writer.write(b"x" * 100)
        writer.flush()
        assert logfiles.rotate_all(tmp_path, over_bytes=50) == [log]
        writer.write(b"after\n")
        writer.flush()
    assert log.read_bytes() == b"after\n" and log.with_name("server.log.1").read_bytes() == b"x" * 100
    assert logfiles.rotate_all(tmp_path, over_bytes=50) == []  # small again: left alone


def test_fixed_metrics_ports_follow_the_processes_and_a_taken_one_is_named(tmp_path: Path) -> None:
    # Bases from below the kernel's ephemeral range (free_port), where no outgoing
    # connection takes the ports after it meanwhile (a probe's port 0 gave one from it,
    # and the test skipped now and then).
    for _ in range(5):
        base = free_port()
        stack = Stack(data_dir=tmp_path, replicas=2)
        try:
            fixed_metrics_ports(stack, base)
            break
        except SystemExit:
            continue
    else:
        pytest.skip("five bases each had a port after them taken on this machine")
    # Six processes (payments is the fifth service): the gateway last, then the replicas.
    assert stack.metrics_ports["accounts"] == base and stack.metrics_ports["gateway"] == base + 5
    assert stack.metrics_ports["accounts-1"] == base + 6 and len(stack.metrics_ports) == 12
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", base + 1))
        taken.listen()
        with pytest.raises(SystemExit, match=rf"metrics port {base + 1} \(for listings"):
            fixed_metrics_ports(Stack(data_dir=tmp_path), base)


def test_the_run_state_of_a_dead_run_is_not_a_running_system(tmp_path: Path) -> None:
    cluster = tmp_path / "cluster"
    cluster.mkdir()
    runstate.write(cluster, {"mode": "cluster"})
    found = runstate.find(tmp_path)
    assert found is not None and found.data_dir == cluster and found.mode == "cluster"
    assert oct((cluster / "run.json").stat().st_mode & 0o777) == "0o600"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (cluster / "run.json").write_text(f'{{"pid": {dead.pid}}}')
    assert runstate.find(tmp_path) is None
    with pytest.raises(runstate.NotRunningError, match="start it with make run"):
        runstate.require(tmp_path)
    assert runstate.alive(os.getpid())
