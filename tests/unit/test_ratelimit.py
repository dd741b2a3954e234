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


def test_a_wait_of_milliseconds_is_never_said_as_none() -> None:
    """Nearly a token back (2 ms to wait) read "retry_after_s": 0.0 and "Retry-After: 0"."""
    from services.gateway.app import error_response

    limiter = RateLimiter(rate=50, burst=1)
    limiter.check("a", now=100.0)
    with pytest.raises(AppError) as err:
        limiter.check("a", now=100.019)
    assert err.value.details == {"retry_after_s": 0.01}
    assert error_response(err.value).headers["Retry-After"] == "1"
