"""One price rule for every service: a night costs the monthly rent pro rata."""

from __future__ import annotations

import functools
from decimal import ROUND_HALF_UP, Decimal


@functools.lru_cache(maxsize=4096)
def nightly_cents(monthly_rent: int) -> int:
    """A night costs the monthly rent pro rata: rent x 12 / 365, rounded half up to the cent."""
    value = Decimal(monthly_rent) * 100 * 12 / 365
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def stay_total_cents(monthly_rent: int, nights: int) -> int:
    """A stay costs its nights at the nightly rate, so a quote adds up night by night."""
    return nightly_cents(monthly_rent) * nights
