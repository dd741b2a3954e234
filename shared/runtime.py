"""How a long-running process (a service or the gateway) sets up its interpreter: the
event loop it runs on and how the garbage collector treats it.

The collector. Every request makes short-lived objects, which reference counting frees;
the collector exists only for cycles. With Python's default threshold (a collection
every 700 net allocations) a loaded service collected hundreds of times a second, and
each full collection walked every long-lived object: listings holds the place index
(~300,000 objects after ``places.warm``), whose full collection took 100-200 ms and was
the search benchmark's p99 (166 ms against a p50 of 18 ms). So a process collects less
often (``tune_collector``) and, once its start-up data is loaded, moves that data out of
the collector's sight for good (``freeze_startup_heap``: ``gc.freeze``).

Its parent. A process the runner started leaves when the runner is gone
(``leave_with_parent``): killed outright (SIGKILL, the OOM killer), the runner cannot stop
its services, which then retried NATS and Postgres forever, holding their ports.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import threading
import time
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)

# Collections of the youngest generation every 50,000 net allocations (the default is
# 700); the older generations as Python's defaults would, relative to that.
COLLECTOR_THRESHOLD = (50_000, 20, 20)


def tune_collector() -> None:
    gc.set_threshold(*COLLECTOR_THRESHOLD)


def freeze_startup_heap() -> None:
    """Collect once, then keep what survives (imports, directories, indexes loaded at
    start) in the permanent generation, which no later collection walks."""
    gc.collect()
    gc.freeze()


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's event loop where it is installed (faster), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def run(main: Coroutine[Any, Any, None]) -> None:
    """Run ``main`` to completion on ``new_event_loop``."""
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        runner.run(main)


PARENT_ENV = "WARDMATE_PARENT_PID"


def parent_env() -> dict[str, str]:
    """For a child's environment: the child leaves when this process is gone."""
    return {PARENT_ENV: str(os.getpid())}


def leave_with_parent(every_s: float = 1.0) -> None:
    """In a process started with ``parent_env()``: a daemon thread sends this process
    SIGTERM (its usual graceful stop) once that parent is gone, the orphan then being
    another process's child (init's or a subreaper's). Compared with the pid it was given,
    a parent gone before this ran is seen too. The variable is taken out of the
    environment, so this process's own children (image workers) do not inherit a parent
    pid that is not theirs. (Not PR_SET_PDEATHSIG, which follows the parent *thread*: the
    ``Stack`` is a library its callers may use from any thread.)"""
    given = os.environ.pop(PARENT_ENV, None)
    if not given:
        return
    parent = int(given)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every_s)
        log.warning("parent process %d is gone: stopping", parent)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
