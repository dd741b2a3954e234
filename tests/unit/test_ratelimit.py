"""The gateway's per-address token bucket."""

from __future__ import annotations

import pytest

from services.gateway.ratelimit import RateLimiter
from shared.errors import AppError


def test_burst_then_refill_at_the_rate() -> None:
    """A client gets its burst at once, then one request per 1/rate seconds."""
    limiter = RateLimiter(rate=2, burst=3)
    for _ in range(3):
        limiter.check("a", now=100.0)
    with pytest.raises(AppError) as err:
        limiter.check("a", now=100.0)
    assert err.value.code == "rate_limited" and err.value.details == {"retry_after_s": 0.5}
    limiter.check("b", now=100.0)  # another address has its own bucket
    limiter.check("a", now=100.5)  # half a second later: one token back
    with pytest.raises(AppError):
        limiter.check("a", now=100.6)


def test_zero_rate_disables_the_limit() -> None:
    limiter = RateLimiter(rate=0, burst=1)
    for _ in range(1000):
        limiter.check("a", now=0.0)
