"""The dependency lock: ``requirements.lock`` (what the image installs) and
``requirements-dev.lock`` (that plus the dev tools: ``make run``, ``make test``, CI), both
with every package pinned and hashed by pip-compile (``make lock``).

``python3 deploy/lock.py check LOCK`` exits 1 with one line saying to run ``make lock``
when LOCK is missing or was made from other dependencies than pyproject.toml's now;
``stamp LOCK...`` records that digest in each lock (``make lock`` does). Standard library
only: it runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARK = "# pyproject-dependencies-sha256: "


def digest(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """Of what the lock is made from: the dependencies, extras and Python version."""
    project = tomllib.loads(pyproject.read_text())["project"]
    wanted = {
        "requires-python": project.get("requires-python"),
        "dependencies": project.get("dependencies", []),
        "optional-dependencies": project.get("optional-dependencies", {}),
    }
    return hashlib.sha256(json.dumps(wanted, sort_keys=True).encode()).hexdigest()


def recorded(lock: Path) -> str | None:
    for line in lock.read_text().splitlines():
        if line.startswith(MARK):
            return line.removeprefix(MARK).strip()
    return None


def check(lock: Path, pyproject: Path = ROOT / "pyproject.toml") -> str | None:
    """What is wrong with ``lock``, in one line; None when it is current."""
    if not lock.exists():
        return f"error: no {lock.name}: run make lock (it pins and hashes every dependency of pyproject.toml)"
    if recorded(lock) != digest(pyproject):
        return (
            f"error: {lock.name} is stale (pyproject.toml's dependencies changed since it was made):"
            " run make lock, and commit both lock files"
        )
    return None


def stamp(lock: Path, pyproject: Path = ROOT / "pyproject.toml") -> None:
    lines = [line for line in lock.read_text().splitlines() if not line.startswith(MARK)]
    lines.insert(0, MARK + digest(pyproject))
    lock.write_text("\n".join(lines) + "\n")


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("check", "stamp"):
        print(__doc__, file=sys.stderr)
        return 2
    locks = [Path(a) if Path(a).is_absolute() else ROOT / a for a in argv[1:]]
    if argv[0] == "stamp":
        for lock in locks:
            stamp(lock)
        return 0
    problems = [p for p in (check(lock) for lock in locks) if p]
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
