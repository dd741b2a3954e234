"""Container healthcheck: ``python -m shared.healthcheck NAME`` exits 0 when the NATS
micro service NAME answers ``$SRV.PING``, 1 otherwise."""

from __future__ import annotations

import asyncio
import sys

import nats

from shared import subjects
from shared.settings import Settings


async def ping(url: str, name: str) -> bool:
    try:
        nc = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=0, allow_reconnect=False)
    except Exception:
        return False
    try:
        await nc.request(subjects.service_ping(name), b"", timeout=2)
        return True
    except Exception:
        return False
    finally:
        await nc.close()


def main() -> None:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        raise SystemExit(2)
    raise SystemExit(0 if asyncio.run(ping(Settings().nats_servers[0], sys.argv[1])) else 1)


if __name__ == "__main__":
    main()
