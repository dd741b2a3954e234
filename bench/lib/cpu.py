"""CPU accounting from /proc: the CPU seconds each named group of processes (a service,
Postgres and its backends, NATS) used over a measured run, and what else on the machine
took CPU meanwhile, so that a benchmark's figures on a shared machine can be judged."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name, or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2 :].split()


def proc_ticks(pid: int) -> tuple[int, int] | None:
    """(utime + stime, ppid) of ``pid`` in clock ticks, or None when it is gone."""
    fields = _stat(pid)
    return None if fields is None else (int(fields[11]) + int(fields[12]), int(fields[1]))


def reaped_ticks(pid: int) -> int:
    """CPU ticks of ``pid``'s children that exited and were waited for (cutime + cstime)."""
    fields = _stat(pid)
    return 0 if fields is None else int(fields[13]) + int(fields[14])


def children_of(ppid: int) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            t = proc_ticks(int(p.name))
            if t and t[1] == ppid:
                out.append(int(p.name))
    return out


def machine_ticks() -> tuple[int, int, int]:
    """(busy, total, irq + softirq) jiffies of the whole machine."""
    parts = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = parts[3] + parts[4]
    return sum(parts) - idle, sum(parts), parts[5] + parts[6]


def all_ticks() -> dict[int, int]:
    out = {}
    for p in Path("/proc").iterdir():
        if p.name.isdigit() and (t := proc_ticks(int(p.name))):
            out[int(p.name)] = t[0]
    return out


def proc_label(pid: int) -> str:
    """A short name for a process: its program, and for python its script or module."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    args = [a.decode(errors="replace") for a in argv if a]
    if not args:
        return "kernel threads"
    prog = Path(args[0]).name
    if prog.startswith("python"):
        rest = [a for a in args[1:] if not a.startswith("-")]
        if "-m" in args[1:]:
            rest = [args[args.index("-m") + 1]]
        return f"python {Path(rest[0]).name}" if rest else prog
    return prog


@dataclass
class CpuMeter:
    """CPU seconds per named process group over an interval, and what else ran."""

    groups: dict[str, list[int]]  # name -> pids
    parents: dict[str, int] = field(default_factory=dict)  # name -> pid whose children count too
    start: dict[int, int] = field(default_factory=dict)
    machine: tuple[int, int, int] = (0, 0, 0)
    # Per parent group: its children at ``begin`` and the CPU of its exited children then.
    start_children: dict[str, set[int]] = field(default_factory=dict)
    start_reaped: dict[str, int] = field(default_factory=dict)

    def pids(self) -> dict[str, list[int]]:
        out = {k: list(v) for k, v in self.groups.items()}
        for name, parent in self.parents.items():
            out.setdefault(name, []).extend([parent, *children_of(parent)])
        return out

    def begin(self) -> None:
        self.machine = machine_ticks()
        self.start = all_ticks()
        self.start_children = {name: set(children_of(parent)) for name, parent in self.parents.items()}
        self.start_reaped = {name: reaped_ticks(parent) for name, parent in self.parents.items()}

    def exited_children(self, name: str, now: dict[int, int]) -> int:
        """Ticks, within the interval, of the group parent's children that exited during it
        (a pool replacing a connection ends its Postgres backend): what the parent reaped
        meanwhile, less what those that were already running had used before ``begin``."""
        parent = self.parents[name]
        reaped = reaped_ticks(parent) - self.start_reaped.get(name, 0)
        before = sum(self.start.get(p, 0) for p in self.start_children.get(name, set()) if p not in now)
        return max(0, reaped - before)

    def end(self) -> tuple[dict[str, float], dict[str, float], float]:
        """CPU seconds per group, CPU seconds of everything else (by program, plus the
        kernel's interrupt work), and the machine's busy share (0..1) over the interval."""
        busy0, total0, irq0 = self.machine
        busy1, total1, irq1 = machine_ticks()
        now = all_ticks()
        used, mine = {}, set()
        for name, ps in self.pids().items():
            ticks = sum(now.get(p, 0) - self.start.get(p, 0) for p in ps if p in now)
            if name in self.parents:
                ticks += self.exited_children(name, now)
            used[name] = ticks / TICK
            mine.update(ps)
        others: Counter[str] = Counter()
        for p, t in now.items():
            if p not in mine and p != os.getpid() and t - self.start.get(p, 0) > 0:
                others[proc_label(p)] += (t - self.start.get(p, 0)) / TICK
        others["kernel irq/softirq"] = (irq1 - irq0) / TICK
        return used, dict(others), (busy1 - busy0) / max(total1 - total0, 1)
