"""The one way a test waits for something that happens asynchronously (an event reaching a
projection, a process coming up, a socket going away): poll a probe with a deadline, and
fail saying what was awaited and the last value seen, never sleep and hope.

``eventually`` is for async tests; ``eventually_sync`` is its twin for the few synchronous
places (fixtures that start a process, tests that drive a subprocess) where no event loop
runs. Both return the value that satisfied the condition, so a test can go on with it.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")

# A repr of a whole response body or page of rows would bury the message.
_SHOWN = 600


class _Failed:
    """The probe raised one of the exceptions it may raise while the system settles."""

    def __init__(self, error: BaseException):
        self.error = error

    def __repr__(self) -> str:
        return f"raised {self.error!r}"


def _timed_out(what: str, timeout: float, last: object) -> AssertionError:
    shown = repr(last)
    if len(shown) > _SHOWN:
        shown = shown[:_SHOWN] + "..."
    return AssertionError(f"timed out after {timeout:g} s waiting for {what}; last value: {shown}")


async def eventually(
    probe: Callable[[], Awaitable[T]] | Callable[[], T],
    timeout: float = 10,
    *,
    what: str,
    until: Callable[[T], Any] = bool,
    interval: float = 0.05,
    retry_on: tuple[type[BaseException], ...] = (),
) -> T:
    """Call ``probe`` (sync or async) until ``until(value)`` holds (by default: the value is
    truthy) and return that value; fail after ``timeout`` seconds naming ``what`` and the
    last value. Exceptions in ``retry_on`` (a server still starting) count as "not yet"."""
    deadline = time.monotonic() + timeout
    while True:
        last: object
        try:
            value = probe()
            if inspect.isawaitable(value):
                value = await value
        except retry_on as error:
            last = _Failed(error)
        else:
            if until(value):  # type: ignore[arg-type]
                return value  # type: ignore[return-value]
            last = value
        if time.monotonic() >= deadline:
            raise _timed_out(what, timeout, last)
        await asyncio.sleep(interval)


def eventually_sync(
    probe: Callable[[], T],
    timeout: float = 10,
    *,
    what: str,
    until: Callable[[T], Any] = bool,
    interval: float = 0.05,
    retry_on: tuple[type[BaseException], ...] = (),
) -> T:
    """``eventually`` for code without an event loop: the same contract, blocking."""
    deadline = time.monotonic() + timeout
    while True:
        last: object
        try:
            value = probe()
        except retry_on as error:
            last = _Failed(error)
        else:
            if until(value):
                return value
            last = value
        if time.monotonic() >= deadline:
            raise _timed_out(what, timeout, last)
        time.sleep(interval)
