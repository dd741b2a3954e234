"""Log files that do not grow forever: ``make run`` rotates every log at each start, and
those that outgrow ``max_bytes`` while it runs.

A running process keeps appending to its open file, so a live log is rotated by copying
it to ``<name>.1`` and truncating it in place (its writers use O_APPEND, so they go on at
the new end); ``keep`` older generations are kept (``.1`` newest).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

KEEP = 3
MAX_BYTES = 20 * 1024 * 1024


def logs_of(data_dir: Path) -> Iterator[Path]:
    """Every log a run writes: its processes' (``logs/``) and its servers' (``*/server.log``)."""
    yield from sorted((data_dir / "logs").glob("*.log"))
    yield from sorted(data_dir.glob("*/server.log"))


def rotate(path: Path, keep: int = KEEP) -> None:
    """``path`` -> ``path.1`` (older ones shifted, the oldest dropped); ``path`` left empty."""
    if not path.exists() or path.stat().st_size == 0:
        return
    for n in range(keep - 1, 0, -1):
        older = path.with_name(f"{path.name}.{n}")
        if older.exists():
            older.replace(path.with_name(f"{path.name}.{n + 1}"))
    shutil.copyfile(path, path.with_name(f"{path.name}.1"))
    with open(path, "r+b") as f:
        f.truncate(0)


def rotate_all(data_dir: Path, over_bytes: int = 0, keep: int = KEEP) -> list[Path]:
    """Rotate every log of ``data_dir`` larger than ``over_bytes``; the ones rotated."""
    done = []
    for path in logs_of(data_dir):
        if path.stat().st_size > over_bytes:
            rotate(path, keep)
            done.append(path)
    return done
