"""Profiling with py-spy under load: where the time of a running service goes.

``profile`` records raw stacks of named processes of a running ``Stack`` while the same
load as the measured runs goes on, and ``summarize_profile`` turns them into self and
inclusive time per function and per library (py-spy: ``.venv/bin/pip install py-spy``).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from bench.lib.common import ROOT, say
from bench.lib.load import parse_wrk, run_pyload, run_wrk
from services.runner import Stack

CATEGORIES = [  # (label, path prefix of the frame's file, as py-spy shows it), first match wins
    ("pydantic", "pydantic"),
    ("json", "json/"),
    ("nats", "nats/"),
    ("asyncpg", "asyncpg/"),
    ("aiohttp", "aiohttp/"),
    ("multidict/yarl", "multidict/"),
    ("multidict/yarl", "yarl/"),
    ("logging", "logging/"),
    ("uuid", "uuid.py"),
    ("hashlib", "hashlib.py"),
    ("socket reads (asyncpg/nats protocol parsing)", "asyncio/selector_events.py"),
    ("asyncio", "asyncio/"),
    ("project: listings", "services/listings/"),
    ("project: messaging", "services/messaging/"),
    ("project: gateway", "services/gateway/"),
    ("project: shared", "shared/"),
]


def _frame_file(frame: str) -> str:
    m = re.search(r"\((.*):\d+\)$", frame)
    return m.group(1) if m else ""


def _frame_func(frame: str) -> str:
    """``func (path:line)`` -> ``func (short/path.py)``, lines merged."""
    m = re.match(r"(.*) \((.*):\d+\)$", frame)
    if not m:
        return frame
    path = m.group(2)
    for marker in ("site-packages/", "python3.11/", "/work/main/", str(ROOT) + "/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{m.group(1)} ({path})"


def category(frame: str) -> str:
    f = _frame_file(frame)
    for label, prefix in CATEGORIES:
        if f.startswith(prefix) or f"/{prefix}" in f:
            return label
    return "other" if f else "native/other"


SYSCALL_LEAVES = (
    "_SelectorSocketTransport.write (",
    "EpollSelector.select (",
    "sock_send",
    "send (libc",
    "epoll_wait (",
)


def summarize_profile(path: Path, top: int = 14) -> str:
    """Self and inclusive time per function from py-spy's raw (collapsed) stacks.

    Samples whose innermost frame is a socket send or epoll wait are counted apart: on a
    saturated machine a process that wakes its peer (or is woken) sits there runnable,
    waiting for a CPU, and py-spy counts that as busy. The rest is the process's own work.
    """
    stacks: list[tuple[list[str], int]] = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    total = sum(c for _, c in stacks)
    if not total:
        return "    (no samples)"
    waiting = sum(c for frames, c in stacks if any(x in _frame_func(frames[-1]) for x in SYSCALL_LEAVES))
    work = [(f, c) for f, c in stacks if not any(x in _frame_func(f[-1]) for x in SYSCALL_LEAVES)]
    n = sum(c for _, c in work) or 1
    self_fn: Counter[str] = Counter()
    incl_fn: Counter[str] = Counter()
    self_cat: Counter[str] = Counter()
    for frames, c in work:
        self_fn[_frame_func(frames[-1])] += c
        self_cat[category(frames[-1])] += c
        for fn in {_frame_func(f) for f in frames}:
            incl_fn[fn] += c
    lines = [
        f"    {total} samples; {waiting / total * 100:.0f}% sat in socket send/epoll wait"
        " (mostly runnable, waiting for a CPU); percentages below are of the other"
        f" {n} samples (the process's own work)",
        "    self time by library: " + ", ".join(f"{k} {v / n * 100:.0f}%" for k, v in self_cat.most_common()),
    ]
    lines.append("    top functions by self time:")
    lines += [f"      {v / n * 100:5.1f}%  {k}" for k, v in self_fn.most_common(top)]
    lines.append("    top functions by inclusive time (below the event loop):")
    skip = (
        "run_forever",
        "_run_once",
        "_run (asyncio/events.py)",
        "<module>",
        "run_app",
        "run (asyncio/runners.py)",
        "run_until_complete",
        "main (",
        "_run_module_as_main",
        "_run_code",
        "run (asyncio/",
        "process ",
        "thread ",
    )
    shown = [(k, v) for k, v in incl_fn.most_common() if not any(s in k for s in skip)]
    lines += [f"      {v / n * 100:5.1f}%  {k}" for k, v in shown[:top]]
    return "\n".join(lines)


def profile(
    stack: Stack,
    url: str,
    wrk: str | None,
    args: argparse.Namespace,
    processes: Iterable[str] = ("gateway", "listings"),
) -> str:
    """py-spy on ``processes`` of ``stack`` for ``args.duration`` seconds while ``url`` is
    loaded as in the measured runs; the summary of each, as text."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        return "py-spy is not installed (.venv/bin/pip install py-spy); no profile"
    out_dir = Path(args.keep_profiles or tempfile.mkdtemp(prefix="wardmate-prof-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    targets = {name: stack.procs[name].pid for name in processes}
    say(f"profiling {', '.join(targets)} with py-spy for {args.duration:.0f}s under the same load")
    spies = {
        name: subprocess.Popen(
            [
                spy,
                "record",
                "--pid",
                str(pid),
                "-d",
                str(int(args.duration)),
                "-r",
                "200",
                "--nonblocking",
                "-f",
                "raw",
                "-o",
                str(out_dir / f"{name}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for name, pid in targets.items()
    }
    time.sleep(0.5)
    if wrk:
        text, _ = run_wrk(wrk, url, args.threads, args.connections, args.duration + 1)
        rps = parse_wrk(text)[0]
    else:
        rps = run_pyload(url, args.connections, args.duration + 1)[0]["rps"]
    report = [f"    (under py-spy the gateway served {rps:.0f} req/s; raw stacks in {out_dir})"]
    for name, p in spies.items():
        _, err = p.communicate(timeout=60)
        report.append(f"  {name} (pid {targets[name]}):")
        f = out_dir / f"{name}.txt"
        report.append(summarize_profile(f) if f.exists() else f"    py-spy failed: {err.decode()[-500:]}")
    return "\n".join(report)


def start_spies(pids: dict[str, int], seconds: float, out_dir: Path) -> dict[str, subprocess.Popen[bytes]]:
    """py-spy recording each named process for ``seconds`` (raw stacks in ``out_dir``),
    for a benchmark that drives its own load meanwhile; ``finish_spies`` summarizes."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    out_dir.mkdir(parents=True, exist_ok=True)
    if not Path(spy).exists():
        return {}
    return {
        name: subprocess.Popen(
            [
                *(spy, "record", "--pid", str(pid), "-d", str(int(seconds)), "-r", "200", "--nonblocking"),
                *("-f", "raw", "-o", str(out_dir / f"{name}.txt")),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for name, pid in pids.items()
    }


def finish_spies(spies: dict[str, subprocess.Popen[bytes]], out_dir: Path) -> str:
    """Wait for ``start_spies``' recorders; each process's summary, as text."""
    if not spies:
        return "py-spy is not installed (.venv/bin/pip install py-spy); no profile"
    report = [f"    raw stacks in {out_dir}"]
    for name, p in spies.items():
        _, err = p.communicate(timeout=60)
        report.append(f"  {name}:")
        f = out_dir / f"{name}.txt"
        report.append(summarize_profile(f) if f.exists() else f"    py-spy failed: {err.decode()[-500:]}")
    return "\n".join(report)
