"""How many requests one person may send within a window: of one target (a room, a
mentor) and in all. Each request reaches its target as a conversation, a notification and
a mail, and its withdrawal as another, so without a limit a request/withdraw loop (or
asking again each time one is declined) floods them faster than they can block the sender.
Listings limits booking requests with it, matching mentorship requests; the words are
theirs, the rule is this one."""

from __future__ import annotations

import uuid
from typing import NamedTuple

from shared.errors import AppError


class RecentRequest(NamedTuple):
    """One of the requester's requests within the window: its target, and how many seconds
    ago it was made."""

    target_id: uuid.UUID
    age_s: float


def span(seconds: int) -> str:
    """ "24 hours", "hour", "90 seconds": a window as a limit's message names it."""
    for unit, size in (("week", 7 * 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds % size == 0:
            count = seconds // size
            return unit if count == 1 else f"{count} {unit}s"
    raise AssertionError("unreachable: every integer is a multiple of one")


def refuse_over_limits(
    recent: list[RecentRequest],
    target_id: uuid.UUID,
    window_s: int,
    per_target: int,
    in_all: int,
    *,
    of_target: str,
    of_all: str,
    counted: str,
) -> None:
    """A request beyond ``per_target`` of this target, or ``in_all`` of any, within the
    last ``window_s`` (``recent``: the requester's in that window, whatever became of them)
    is refused with ``retry_after_s``: when enough of those have left the window for both
    limits. ``of_target`` and ``of_all`` say each limit in the requester's words, given
    its number ("requested this room {n} times"); ``counted`` says which requests count."""
    ages = sorted(r.age_s for r in recent)
    here = sorted(r.age_s for r in recent if r.target_id == target_id)
    waits, said = [], []
    # Over a limit, a slot frees when the limit-th newest request leaves the window.
    if len(here) >= per_target:
        waits.append(window_s - here[per_target - 1])
        said.append(of_target.format(n=per_target))
    if len(ages) >= in_all:
        waits.append(window_s - ages[in_all - 1])
        said.append(of_all.format(n=in_all))
    if waits:
        raise AppError(
            "rate_limited",
            f"you have {' and '.join(said)} in the last {span(window_s)}, the most allowed ({counted});"
            " try again later",
            {"retry_after_s": round(max(*waits, 0.001), 3)},
        )
