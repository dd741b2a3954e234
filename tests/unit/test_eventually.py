"""The tests' one waiting helper: returns what satisfied it, fails naming what it awaited."""

from __future__ import annotations

import itertools

import pytest

from tests.eventually import eventually, eventually_sync


async def test_returns_the_first_value_that_satisfies() -> None:
    """Sync and async probes both work; the satisfying value comes back."""
    counter = itertools.count()

    async def probe() -> int:
        return next(counter)

    assert await eventually(probe, 2, what="three", until=lambda n: n >= 3, interval=0) == 3
    assert await eventually(lambda: next(counter), 2, what="truthy", interval=0) == 4


async def test_fails_naming_what_was_awaited_and_the_last_value() -> None:
    """After the deadline the message says what was awaited and the last value seen."""
    with pytest.raises(AssertionError, match=r"waiting for the queue to drain; last value: \[1, 2\]"):
        await eventually(lambda: [1, 2], 0.05, what="the queue to drain", until=lambda v: v == [], interval=0.01)


async def test_listed_exceptions_mean_not_yet_others_propagate() -> None:
    """A probe raising a listed exception is retried and shown as the last value."""
    with pytest.raises(AssertionError, match="raised ConnectionRefusedError"):
        await eventually(_refused, 0.05, what="up", retry_on=(OSError,), interval=0.01)
    with pytest.raises(ConnectionRefusedError):
        await eventually(_refused, 0.05, what="up", interval=0.01)


def test_the_sync_twin_has_the_same_contract() -> None:
    """``eventually_sync`` returns the value or fails with the same message."""
    counter = itertools.count()
    assert eventually_sync(lambda: next(counter), 1, what="two", until=lambda n: n == 2, interval=0) == 2
    with pytest.raises(AssertionError, match="waiting for never; last value: 0"):
        eventually_sync(lambda: 0, 0.05, what="never", interval=0.01)


def _refused() -> bool:
    raise ConnectionRefusedError
