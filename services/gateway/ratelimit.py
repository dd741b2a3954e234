"""Per-client request rate limit: a token bucket for each client address, in memory.

Each gateway replica keeps its own buckets, so with N replicas behind a balancer a client
gets up to N times the rate; enough to stop a runaway script without shared state.
"""

from __future__ import annotations

import math
import time

from shared.errors import AppError


class RateLimiter:
    """``rate`` requests per second per address, bursts up to ``burst``; rate 0 disables."""

    def __init__(self, rate: float, burst: int, *, max_clients: int = 100_000) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.max_clients = max_clients
        self._buckets: dict[str, tuple[float, float]] = {}  # address -> (tokens, last refill)

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def check(self, address: str, now: float | None = None) -> None:
        """Take a token for ``address``, or raise ``rate_limited`` saying when to retry."""
        if not self.enabled:
            return
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.get(address, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < 1:
            # Rounded up: a wait of 2 ms read "retry_after_s": 0.0, a retry at once.
            retry = math.ceil((1 - tokens) / self.rate * 100) / 100
            raise AppError("rate_limited", "too many requests; slow down", {"retry_after_s": retry})
        if len(self._buckets) >= self.max_clients and address not in self._buckets:
            self._buckets.clear()  # a flood of addresses: start over rather than grow
        self._buckets[address] = (tokens - 1, now)
