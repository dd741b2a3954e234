"""Small asyncio helpers shared by the long-running loops."""

from __future__ import annotations

import asyncio


def stop_if_cancelled() -> None:
    """Raise CancelledError when the current task has been asked to stop.

    Loops call it on every turn: on Python 3.11 a cancellation that lands while a library
    awaits ``asyncio.wait_for`` (nats-py's publish and fetch do) can be swallowed, and a
    loop that relied on the CancelledError would then run forever (seen as a replica
    hanging on SIGTERM under load).
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
