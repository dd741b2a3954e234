"""Container health check: ``python -m shared.healthcheck NAME`` exits 0 when this
container's own NAME process answers ``$SRV.PING.NAME.<its instance id>`` over NATS, 1
otherwise.

A ping to ``$SRV.PING.NAME`` is answered by any replica, so under ``--scale`` a hung
replica would look healthy because another one answered. Each service process writes its
micro instance id to ``<tmp>/wardmate-NAME-<pid>.id`` (removed when it stops); the check
pings every instance whose process runs here (in a container: its own).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
from pathlib import Path

import nats

from shared import subjects
from shared.settings import load_settings


def _instance_file(name: str, pid: int) -> Path:
    return Path(tempfile.gettempdir()) / f"wardmate-{name}-{pid}.id"


def remember_instance(name: str, instance_id: str) -> Path:
    local_instances(name)  # drops the files of processes that were killed
    path = _instance_file(name, os.getpid())
    path.write_text(instance_id)
    return path


def forget_instance(path: Path) -> None:
    path.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def local_instances(name: str) -> list[str]:
    """The instance ids of NAME's processes running here (files of dead ones removed)."""
    ids = []
    for path in Path(tempfile.gettempdir()).glob(f"wardmate-{name}-*.id"):
        pid = path.stem.rsplit("-", 1)[-1]
        if pid.isdigit() and _running(int(pid)):
            ids.append(path.read_text().strip())
        else:
            with contextlib.suppress(OSError):
                path.unlink()
    return ids


async def ping(url: str, name: str, instances: list[str]) -> bool:
    """Every instance in ``instances`` answers (none: unhealthy, the process has not
    registered yet or is gone)."""
    if not instances:
        return False
    try:
        nc = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=0, allow_reconnect=False)
    except Exception:
        return False
    try:
        for instance in instances:
            await nc.request(f"{subjects.service_ping(name)}.{instance}", b"", timeout=2)
        return True
    except Exception:
        return False
    finally:
        await nc.close()


def main() -> None:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        raise SystemExit(2)
    name = sys.argv[1]
    healthy = asyncio.run(ping(load_settings().nats_servers[0], name, local_instances(name)))
    raise SystemExit(0 if healthy else 1)


if __name__ == "__main__":
    main()
