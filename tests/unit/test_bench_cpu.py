"""The benchmarks' CPU meter (bench/lib/cpu.py) with a process group whose child exits
during the measured interval, as a Postgres backend does when a pool replaces its
connection: its CPU within the interval counts for the group, its CPU before does not."""

from __future__ import annotations

import subprocess
import sys

from bench.lib.cpu import CpuMeter

# The parent forks a child that burns CPU before the interval (0.3 s), waits for a line,
# burns 0.3 s more and exits; the parent reaps it and says so.
PARENT = """
import os, sys, time
def burn(seconds):
    start = time.process_time()
    while time.process_time() - start < seconds:
        pass
read, write = os.pipe()
child = os.fork()
if child == 0:
    burn(0.3)
    os.write(1, b"ready\\n")
    os.read(read, 1)
    burn(0.3)
    os._exit(0)
sys.stdin.readline()
os.write(write, b"x")
os.waitpid(child, 0)
print("reaped", flush=True)
sys.stdin.readline()
"""


def test_a_child_that_exits_during_the_interval_counts_for_its_group() -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert parent.stdin is not None and parent.stdout is not None
    try:
        assert parent.stdout.readline().strip() == "ready"
        meter = CpuMeter({}, parents={"group": parent.pid})
        meter.begin()
        parent.stdin.write("go\n")
        parent.stdin.flush()
        assert parent.stdout.readline().strip() == "reaped"
        used, _, _ = meter.end()
    finally:
        parent.kill()
        parent.wait()
    # 0.3 s burnt in the interval, by a child gone before its end; not the 0.3 s before.
    assert 0.2 <= used["group"] <= 0.45, used
