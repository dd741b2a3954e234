"""Pure rules of payments: what is due when, what the host keeps, what a cancellation refunds.

Amounts are integer cents (USD). Nothing here touches Postgres, NATS or Stripe, and the
clock is always an argument: the handlers and jobs pass ``now`` (moved by
``WARDMATE_CLOCK_OFFSET_S`` in tests). So is the room's time zone (``zone``, an IANA name
carried by listings' booking events): a stay starts at its check-in moment there
(``shared.stays``), and "before" or "after check-in" counts from that moment.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from shared import dates, stays, timezones

Policy = Literal["flexible", "moderate", "strict"]
POLICIES: tuple[Policy, ...] = ("flexible", "moderate", "strict")
Canceller = Literal["guest", "host", "operator"]

# Stays up to this many nights are paid at once; longer ones in blocks.
SINGLE_PAYMENT_MAX_NIGHTS = 31
BLOCK_NIGHTS = 30
# A later block is charged this long before its first night.
BLOCK_CHARGE_LEAD = timedelta(days=3)
# The first payment is released this long after check-in (the guest has seen the room).
RELEASE_AFTER_CHECK_IN = timedelta(hours=24)
# After check-in every policy refunds the nights not yet stayed beyond the next ones.
NIGHTS_KEPT_AFTER_CHECK_IN = 7


def check_in_at(day: date, zone: str) -> datetime:
    """The moment nights from ``day`` begin: that day at the check-in time in the room's
    zone (``shared.stays.check_in_moment``), in UTC."""
    return stays.check_in_moment(day, zone)


@dataclass(frozen=True)
class Block:
    """One payment of a stay: ``nights`` from ``start`` (whose check-in moment is
    ``begins``), charged from ``charge_from``, released to the host at ``release_at``."""

    index: int
    start: date
    nights: int
    amount_cents: int
    charge_from: datetime
    release_at: datetime
    begins: datetime


def schedule(check_in: date, check_out: date, total_cents: int, accepted_at: datetime, zone: str) -> list[Block]:
    """The stay's payments: all of it for up to 31 nights; else the first 30 nights now
    and each following block of up to 30 nights 3 days before it starts. The blocks'
    amounts add up to ``total_cents`` exactly (the last one takes the rounding). Each
    block begins at its first day's check-in moment in the room's ``zone``: the first is
    released 24 hours after it, a later one when it begins."""
    nights = (check_out - check_in).days
    if nights <= 0 or total_cents < 0:
        raise ValueError("a stay has at least one night and a total of zero or more")
    sizes = [nights] if nights <= SINGLE_PAYMENT_MAX_NIGHTS else _block_sizes(nights)
    blocks: list[Block] = []
    start, paid = check_in, 0
    for index, size in enumerate(sizes):
        last = index == len(sizes) - 1
        # Pro rata by nights, so every block costs what its nights cost.
        amount = total_cents - paid if last else total_cents * ((start - check_in).days + size) // nights - paid
        begins = check_in_at(start, zone)
        charge_from = accepted_at if index == 0 else min(max(accepted_at, begins - BLOCK_CHARGE_LEAD), begins)
        release_at = begins + RELEASE_AFTER_CHECK_IN if index == 0 else begins
        blocks.append(Block(index, start, size, amount, charge_from, release_at, begins))
        paid += amount
        start += timedelta(days=size)
    return blocks


def _block_sizes(nights: int) -> list[int]:
    sizes = []
    while nights > 0:
        sizes.append(min(BLOCK_NIGHTS, nights))
        nights -= sizes[-1]
    return sizes


def not_payable(status: str) -> str:
    """Why a payment in ``status`` takes no card (409): it read "the payment is succeeded"."""
    return {
        "succeeded": "this payment is already made: nothing more to pay",
        "expired": "this payment expired unpaid: its time to pay is over",
        "cancelled": "this payment was cancelled (new dates or a cancellation replaced it): nothing to pay",
    }.get(status, f"this payment is {status}")


def overdue_reason(amount_cents: int, start: date, pay_by: datetime, zone: str) -> str:
    """What a later payment past its deadline unpaid is announced with (the log, the
    event's ``reason``): its deadline on the room's clock, in the zone it was set by (it
    said UTC, where 15:00 in Los Angeles read as 23:00)."""
    return (
        f"${amount_cents / 100:,.2f} for the nights from {dates.written(start)} was due by"
        f" {timezones.local(pay_by, zone)} and is still unpaid: pay it from the booking's receipt"
    )


# However close the check-in, a guest has at least this long to pay from the moment a
# payment is made due (acceptance, or new dates accepted). Check-in may be past already for
# a stay accepted late on its first day, and only hours away for one that starts today or
# tomorrow: without a floor such a stay expired unpaid at the next sweep, seconds after the
# host accepted it. 12 hours lets a student who is on a hospital shift (commonly 12 hours)
# or asleep when the host accepts pay when they are back; the host holds the dates for
# half a day at most before learning that the stay fell through.
MIN_TIME_TO_PAY = timedelta(hours=12)
# A payment unpaid this close to its deadline is recalled to the guest (once; only one given
# at least twice this long to pay).
REMIND_BEFORE = timedelta(hours=12)


def pay_deadline(set_at: datetime, check_in: datetime, window: timedelta) -> datetime:
    """The guest pays within ``window`` of the moment the payment is due (``set_at``: the
    acceptance, or new dates accepted), or before check-in (the moment) if that is sooner,
    but never in less than ``MIN_TIME_TO_PAY`` (or the whole window, when that is shorter)."""
    floor = set_at + min(window, MIN_TIME_TO_PAY)
    return max(min(set_at + window, check_in), floor)


@dataclass(frozen=True)
class Due:
    """What is still to pay of one block of a stay's schedule, and by when; ``start`` and
    ``nights``: the nights it pays for (the block's, or the rest of one partly paid)."""

    block: Block
    amount_cents: int
    pay_by: datetime
    start: date
    nights: int


def nights_paid_for(check_in: date, check_out: date, total_cents: int, amounts: list[int]) -> list[tuple[date, int]]:
    """The nights of the stay each amount pays for, as (first night, number of nights):
    the money lies over the stay's nights in order, amount after amount (as ``still_due``
    and ``release_times`` lay what is paid), and a night belongs to the amount that
    completes its price (night k is paid once the money reaches ``total * (k + 1) //
    nights``, the schedule's own rounding). So the amounts share the nights out without
    overlap; one that completes no night (a few cents) pays for none, from the night it
    goes to; money beyond the total pays for none, from ``check_out``."""
    nights = (check_out - check_in).days
    if nights <= 0:
        raise ValueError("a stay has at least one night")
    paid_by = [total_cents * (night + 1) // nights for night in range(nights)]
    covered: list[tuple[date, int]] = []
    start = 0
    for amount in amounts:
        stop = start + max(amount, 0)
        # The first night not yet paid at ``start``, and the first not paid at ``stop``.
        first, after = bisect_right(paid_by, start), bisect_right(paid_by, stop)
        covered.append((check_in + timedelta(days=first), after - first))
        start = stop
    return covered


def still_due(blocks: list[Block], paid_cents: int, window: timedelta) -> tuple[list[Due], int]:
    """The schedule less what is paid, and what was paid beyond its total (to refund).

    The money paid (net of refunds) covers the blocks in order, so a stay booked directly
    (nothing paid) owes each block whole, and a stay whose dates changed owes exactly what
    the same stay booked directly would, less what the guest has already paid. The first
    block is due by ``pay_deadline`` from its ``charge_from`` (the moment the schedule was
    made); a later block when it begins, and never less than ``MIN_TIME_TO_PAY`` after it may
    be charged."""
    rests: list[tuple[Block, int, datetime]] = []
    left = max(0, paid_cents)
    for block in blocks:
        covered = min(block.amount_cents, left)
        left -= covered
        rest = block.amount_cents - covered
        if rest <= 0:
            continue
        if block.index == 0:
            pay_by = pay_deadline(block.charge_from, block.begins, window)
        else:
            pay_by = max(block.begins, block.charge_from + min(window, MIN_TIME_TO_PAY))
        rests.append((block, rest, pay_by))
    # The rest of a block partly paid pays for the nights the money paid does not reach
    # (each due pays at least its block's last night: a block ends where a night does).
    check_out = blocks[-1].start + timedelta(days=blocks[-1].nights)
    total = sum(block.amount_cents for block in blocks)
    laid = [max(0, paid_cents) - left] + [rest for _, rest, _ in rests]
    spans = nights_paid_for(blocks[0].start, check_out, total, laid)[1:]
    dues = [Due(block, rest, pay_by, *span) for (block, rest, pay_by), span in zip(rests, spans, strict=True)]
    return dues, left


def release_times(blocks: list[Block], paid_cents: list[int]) -> list[datetime]:
    """When each payment already made (``paid_cents`` net, in the order they were paid) is
    released under ``blocks``: when the last block its money pays for begins (24 h after
    check-in for the first), so no money for nights still ahead reaches the host early."""
    if not blocks:
        raise ValueError("a schedule has at least one block")
    times: list[datetime] = []
    start = 0
    for amount in paid_cents:
        last = start + max(amount, 1) - 1  # the position of its last cent in the stay's total
        reached, ends = blocks[-1], 0
        for block in blocks:
            ends += block.amount_cents
            if last < ends:
                reached = block
                break
        times.append(reached.release_at)
        start += max(amount, 0)
    return times


def release_of_nights(blocks: list[Block], start: date, nights: int) -> datetime:
    """When a payment for ``nights`` from ``start`` (one still due) is released under
    ``blocks``: when the block holding the last of those nights begins (24 h after check-in
    for the first), as the payment made due for that block is (``Due.block``)."""
    last = start + timedelta(days=max(nights, 1) - 1)
    for block in blocks:
        if last < block.start + timedelta(days=block.nights):
            return block.release_at
    return blocks[-1].release_at


# The statuses a booking can still be cancelled in (listings' ``decide``): the refund quote
# answers for these only.
CANCELLABLE = ("requested", "accepted", "confirmed")


def why_not_cancellable(status: str, check_out: date, today: date, who: str) -> str | None:
    """Why a booking cannot be cancelled now (so there is no refund to quote), or None.
    The same rules as listings' cancellation: only a request, an accepted or a paid stay
    that is not over (``today``: the date at the room, ``shared.stays.local_today``), and a
    host declines a request rather than cancelling it."""
    if status not in CANCELLABLE:
        return f"the booking is {status}, it cannot be cancelled"
    if who == "host" and status == "requested":
        return "a pending request is declined, not cancelled"
    if status in ("accepted", "confirmed") and check_out <= today:
        return "the stay is over, it cannot be cancelled"
    return None


def cancellation_end_reason(
    rotation_protected: bool, cancelled_by: Canceller, host_suspended: bool = False
) -> str | None:
    """The ``end_reason`` listings gives a cancellation by ``cancelled_by`` now, for a quote
    made before it (listings' ``domain.end_reason``): a guest cancelling after the host
    declined to move the stay to its moved rotation's dates (listings' ruling, carried by
    every booking event as ``rotation_protected``) does so without fault, and so does a
    guest whose host Wardmate suspended (as accounts' events told payments)."""
    if cancelled_by == "guest" and rotation_protected:
        return "shift_declined"
    if cancelled_by == "guest" and host_suspended:
        return "host_suspended"
    return None


def _percent_of(amount_cents: int, percent: Decimal) -> int:
    return int((Decimal(amount_cents) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def host_fee_cents(amount_cents: int, fee_percent: Decimal) -> int:
    """The platform's fee on a payment released to the host, rounded half up to the cent."""
    return _percent_of(amount_cents, fee_percent)


@dataclass(frozen=True)
class RefundDecision:
    """What a cancellation gives back: ``amount_cents`` of what was paid, and why."""

    amount_cents: int
    reason: str


def refund_for_cancellation(
    *,
    policy: Policy,
    check_in: date,
    check_out: date,
    total_cents: int,
    paid_cents: int,
    now: datetime,
    zone: str,
    cancelled_by: Canceller,
    end_reason: str | None = None,
) -> RefundDecision:
    """The refund of a cancelled stay, from what the guest paid (``paid_cents``, net of
    earlier refunds) and the listing's policy. Check-in is the first day's check-in moment
    in the room's ``zone``; the nights count by the room's dates.

    - the host cancels, or the guest cancels a stay whose host Wardmate suspended
      (``end_reason="host_suspended"``): everything paid before check-in; once the stay is
      under way, what was paid beyond the nights already stayed (``refund_by_host``);
    - an operator cancels, or the guest cancels after the host declined to move the stay
      for a moved rotation (``end_reason="shift_declined"``): everything paid;
    - otherwise the policy decides how much of the stay's total the guest keeps owing:
      flexible: nothing until 24 h before check-in; moderate: nothing until 7 days
      before, half after; strict: half until 14 days before, all after;
    - after check-in the nights not yet stayed beyond the next 7 are refunded under
      every policy; before check-in too when that gives more (a long stay under a strict
      policy), so cancelling earlier never refunds less than cancelling later;
    - the refund is what was paid beyond what the guest still owes, never below zero
      (an unpaid later block is simply never charged).
    """
    if paid_cents <= 0:
        # Nothing paid, or all of it refunded already (an operator's refund): "nothing was
        # paid" was wrong of the second.
        return RefundDecision(0, "nothing paid is left to refund")
    if cancelled_by == "host":
        return refund_by_host(check_in, check_out, total_cents, paid_cents, now, zone)
    if end_reason == "host_suspended":
        cause = "the host's account is suspended"
        return refund_by_host(check_in, check_out, total_cents, paid_cents, now, zone, cause=cause)
    if cancelled_by == "operator":
        return RefundDecision(paid_cents, "cancelled by the operator: everything paid is refunded")
    if end_reason == "shift_declined":
        return RefundDecision(paid_cents, "rotation protection: the host declined to move the stay")
    starts = check_in_at(check_in, zone)
    nights = (check_out - check_in).days
    policy_kept, why = _kept_by_policy(policy, total_cents, starts - now)
    # The nights beyond the next 7 from today at the room (or from check-in, before the stay).
    today = max(stays.local_today(now, zone), check_in)
    remaining = max(0, (check_out - today).days)
    refundable_nights = max(0, remaining - NIGHTS_KEPT_AFTER_CHECK_IN)
    nights_kept = total_cents - (total_cents * refundable_nights) // nights if nights else total_cents
    if now >= starts or nights_kept < policy_kept:
        kept = nights_kept
        why = f"the {refundable_nights} nights beyond the next {NIGHTS_KEPT_AFTER_CHECK_IN} are refunded"
    else:
        kept = policy_kept
    amount = max(0, paid_cents - kept)
    return RefundDecision(amount, why)


def nights_stayed(check_in: date, check_out: date, now: datetime, zone: str) -> int:
    """The nights of a stay already behind the guest at ``now``: those before today at the
    room (its ``zone``). Tonight's is not yet stayed, as for a guest's cancellation after
    check-in."""
    return max(0, min((check_out - check_in).days, (stays.local_today(now, zone) - check_in).days))


def refund_by_host(
    check_in: date,
    check_out: date,
    total_cents: int,
    paid_cents: int,
    now: datetime,
    zone: str,
    *,
    cause: str = "cancelled by the host",
) -> RefundDecision:
    """What the host's cancellation gives back of ``paid_cents``: before the first night is
    stayed, everything; during the stay, what was paid beyond the nights already stayed
    (priced pro rata, as the schedule prices its blocks), never below zero. The guest gets
    back the nights they will not stay; the nights they stayed stay paid, whatever the
    reason for cancelling (a later payment left unpaid, most often)."""
    stayed = nights_stayed(check_in, check_out, now, zone)
    if stayed == 0:
        return RefundDecision(paid_cents, f"{cause}: everything paid is refunded")
    nights = (check_out - check_in).days
    owed = total_cents * stayed // nights
    return RefundDecision(
        max(0, paid_cents - owed),
        f"{cause} after {stayed} of the {nights} nights: what was paid for the nights not yet stayed is refunded",
    )


# How long before check-in each policy's refund drops (to nothing, half, nothing).
POLICY_CUTOFF: dict[str, timedelta] = {
    "flexible": timedelta(hours=24),
    "moderate": timedelta(days=7),
    "strict": timedelta(days=14),
}


def _kept_by_policy(policy: Policy, total_cents: int, before_check_in: timedelta) -> tuple[int, str]:
    """What the guest keeps owing under ``policy``, cancelling ``before_check_in`` ahead."""
    half = _percent_of(total_cents, Decimal(50))
    ahead = before_check_in >= POLICY_CUTOFF[policy]
    if policy == "flexible":
        if ahead:
            return 0, "flexible policy, full refund until 24 hours before check-in"
        return total_cents, "flexible policy, no refund within 24 hours of check-in"
    if policy == "moderate":
        if ahead:
            return 0, "moderate policy, full refund until 7 days before check-in"
        return half, "moderate policy, 50% refund within 7 days of check-in"
    if ahead:
        return half, "strict policy, 50% refund until 14 days before check-in"
    return total_cents, "strict policy, no refund within 14 days of check-in"


def policy_cutoff(policy: Policy, check_in: date, zone: str, now: datetime) -> datetime | None:
    """The last moment a guest's cancellation gets the policy's larger refund (check-in at
    the room less the policy's notice), while it is still ahead; after it the refund drops."""
    cutoff = check_in_at(check_in, zone) - POLICY_CUTOFF[policy]
    return cutoff if now <= cutoff else None


def refund_split(
    amount_cents: int, released_cents: int, fees_cents: int, held_cents: int, fee_percent: Decimal
) -> tuple[int, int, int]:
    """Where a refund's money comes from: (held by the platform, taken back from the
    host, taken back from the platform's fees). Held money goes first; what was already
    released (``released_cents``: the host's share and the fee, ``fees_cents`` of it) is
    taken back so that what stays released carries exactly the fee of its amount, as the
    release would have taken it: the fee of each refund rounded on its own took back more
    fee than was charged over several partial refunds, and the host kept the cents."""
    from_held = min(amount_cents, held_cents)
    rest = amount_cents - from_held
    if rest > released_cents:
        raise ValueError("a refund cannot exceed what was paid")
    from_fee = min(max(0, fees_cents - host_fee_cents(released_cents - rest, fee_percent)), rest)
    return from_held, rest - from_fee, from_fee


# --- payment state: only forward -------------------------------------------------------

PaymentStatus = Literal["due", "succeeded", "expired", "cancelled"]
_ORDER: dict[str, int] = {"due": 0, "succeeded": 1, "expired": 1, "cancelled": 1}


def advance(current: PaymentStatus, observed: PaymentStatus) -> PaymentStatus | None:
    """The payment's next status when ``observed`` is reported (by a webhook, the
    client's confirmation or a job), or None when it changes nothing: state only moves
    forward, and a final state is never replaced by another."""
    if _ORDER[observed] <= _ORDER[current]:
        return None
    return observed


def stripe_status(intent_status: str) -> PaymentStatus | None:
    """What a PaymentIntent's status means for Wardmate's payment (None: still open)."""
    if intent_status == "succeeded":
        return "succeeded"
    if intent_status == "canceled":
        return "cancelled"
    return None
