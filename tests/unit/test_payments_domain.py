"""Payments' pure rules: the schedule, the host fee, the refund of a cancellation (a table)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from services.payments import domain
from shared import timezones

CHECK_IN = date(2027, 3, 1)
# A room in Baltimore: its stays start at 15:00 there (20:00 UTC in winter).
ZONE = "America/New_York"
START = domain.check_in_at(CHECK_IN, ZONE)


def test_a_stay_of_31_nights_is_one_payment_of_its_total() -> None:
    accepted = START - timedelta(days=20)
    [block] = domain.schedule(CHECK_IN, CHECK_IN + timedelta(days=31), 310_00, accepted, ZONE)
    assert (block.nights, block.amount_cents, block.charge_from) == (31, 310_00, accepted)
    assert block.release_at == START + timedelta(hours=24)


def test_a_long_stay_pays_30_nights_now_and_each_later_block_3_days_before_it() -> None:
    accepted = START - timedelta(days=20)
    blocks = domain.schedule(CHECK_IN, CHECK_IN + timedelta(days=75), 7_501, accepted, ZONE)
    assert [b.nights for b in blocks] == [30, 30, 15]
    assert sum(b.amount_cents for b in blocks) == 7_501
    assert [b.amount_cents for b in blocks] == [3_000, 3_000, 1_501]
    assert blocks[0].charge_from == accepted
    assert blocks[1].start == date(2027, 3, 31)
    assert blocks[1].charge_from == domain.check_in_at(date(2027, 3, 28), ZONE)
    # A later block is released when it begins; the first 24 h after check-in.
    assert blocks[1].release_at == domain.check_in_at(date(2027, 3, 31), ZONE)
    assert blocks[0].release_at == START + timedelta(days=1)


def test_32_nights_are_two_blocks() -> None:
    blocks = domain.schedule(CHECK_IN, CHECK_IN + timedelta(days=32), 32_00, START - timedelta(days=1), ZONE)
    assert [(b.nights, b.amount_cents) for b in blocks] == [(30, 30_00), (2, 2_00)]


def test_the_guest_pays_within_48_hours_or_before_check_in() -> None:
    window = timedelta(hours=48)
    early = START - timedelta(days=10)
    assert domain.pay_deadline(early, START, window) == early + window
    late = START - timedelta(hours=20)
    assert domain.pay_deadline(late, START, window) == START


@pytest.mark.parametrize(
    ("amount", "percent", "fee"),
    [
        (100_00, Decimal(3), 3_00),
        (1_49, Decimal(3), 4),
        (1_50, Decimal(3), 5),
        (0, Decimal(3), 0),
        (999, Decimal("2.5"), 25),
    ],
)
def test_the_host_fee_is_a_percentage_rounded_half_up(amount: int, percent: Decimal, fee: int) -> None:
    assert domain.host_fee_cents(amount, percent) == fee


D = timedelta(days=1)
H = timedelta(hours=1)
NIGHTS_10 = CHECK_IN + 10 * D  # a 10-night stay, 100.00 a night
NIGHTS_60 = CHECK_IN + 60 * D

# (policy, check_out, total, paid, cancelled at, by, end_reason, refund)
CASES = [
    # flexible: everything until 24 h before check-in, then (before the stay) the nights
    # beyond the first 7.
    ("flexible", NIGHTS_10, 1000_00, 1000_00, START - 30 * D, "guest", None, 1000_00),
    ("flexible", NIGHTS_10, 1000_00, 1000_00, START - 24 * H, "guest", None, 1000_00),
    ("flexible", NIGHTS_10, 1000_00, 1000_00, START - 23 * H, "guest", None, 300_00),
    # moderate: everything until 7 days before, half after.
    ("moderate", NIGHTS_10, 1000_00, 1000_00, START - 7 * D, "guest", None, 1000_00),
    ("moderate", NIGHTS_10, 1000_00, 1000_00, START - 7 * D + H, "guest", None, 500_00),
    ("moderate", NIGHTS_10, 1000_00, 1000_00, START - H, "guest", None, 500_00),
    # strict: half until 14 days before, none after (a short stay: 7 nights kept are 700).
    ("strict", NIGHTS_10, 1000_00, 1000_00, START - 14 * D, "guest", None, 500_00),
    ("strict", NIGHTS_10, 1000_00, 1000_00, START - 13 * D, "guest", None, 300_00),
    # after check-in, every policy: the nights not yet stayed beyond the next 7.
    ("strict", NIGHTS_60, 6000_00, 3000_00, START + 2 * D + 5 * H, "guest", None, 2100_00),
    ("flexible", NIGHTS_60, 6000_00, 6000_00, START + 2 * D, "guest", None, 5100_00),
    ("moderate", NIGHTS_60, 6000_00, 6000_00, START + 20 * D, "guest", None, 3300_00),
    ("moderate", NIGHTS_10, 1000_00, 1000_00, START + 3 * D, "guest", None, 0),
    # a long stay with only the first block paid: the guest keeps owing what the rule
    # keeps (a strict policy's half, or 7 nights when that is less), an unpaid block is
    # never charged, and the refund never exceeds what was paid.
    ("flexible", NIGHTS_60, 6000_00, 3000_00, START - 10 * D, "guest", None, 3000_00),
    ("strict", NIGHTS_60, 6000_00, 3000_00, START - 20 * D, "guest", None, 2300_00),
    ("strict", NIGHTS_60, 6000_00, 3000_00, START - 2 * D, "guest", None, 2300_00),
    ("flexible", NIGHTS_60, 6000_00, 3000_00, START + 10 * D, "guest", None, 1300_00),
    # the host cancels: everything paid before a night is stayed, whatever the policy;
    # during the stay, what was paid for the nights not yet stayed (tonight's included),
    # and nothing of the nights stayed (it refunded everything, nights stayed included).
    ("strict", NIGHTS_10, 1000_00, 1000_00, START - 30 * D, "host", None, 1000_00),
    ("strict", NIGHTS_10, 1000_00, 1000_00, START + 5 * H, "host", None, 1000_00),
    ("strict", NIGHTS_10, 1000_00, 1000_00, START + 3 * D, "host", None, 700_00),
    ("flexible", NIGHTS_60, 6000_00, 6000_00, START + 35 * D + 6 * H, "host", None, 2500_00),
    ("moderate", NIGHTS_60, 6000_00, 3000_00, START + 20 * D, "host", None, 1000_00),
    # the second block left unpaid (overdue), 35 nights stayed of 30 paid: nothing back.
    ("moderate", NIGHTS_60, 6000_00, 3000_00, START + 35 * D, "host", None, 0),
    # rotation protection, an operator: everything paid, whatever the policy.
    ("strict", NIGHTS_10, 1000_00, 1000_00, START - H, "guest", "shift_declined", 1000_00),
    ("strict", NIGHTS_60, 6000_00, 3000_00, START - H, "operator", None, 3000_00),
    # the guest of a suspended host leaves as if the host had cancelled: everything before
    # a night is stayed, then what was paid for the nights not yet stayed.
    ("strict", NIGHTS_10, 1000_00, 1000_00, START - H, "guest", "host_suspended", 1000_00),
    ("strict", NIGHTS_10, 1000_00, 1000_00, START + 3 * D, "guest", "host_suspended", 700_00),
    # earlier refunds are already out of paid_cents; nothing paid, nothing back.
    ("moderate", NIGHTS_10, 1000_00, 400_00, START - H, "guest", None, 0),
    ("flexible", NIGHTS_10, 1000_00, 0, START - 30 * D, "host", None, 0),
]


@pytest.mark.parametrize(("policy", "check_out", "total", "paid", "at", "by", "reason", "refund"), CASES)
def test_refund_for_cancellation(
    policy: domain.Policy,
    check_out: date,
    total: int,
    paid: int,
    at: datetime,
    by: domain.Canceller,
    reason: str | None,
    refund: int,
) -> None:
    decision = domain.refund_for_cancellation(
        policy=policy,
        check_in=CHECK_IN,
        check_out=check_out,
        total_cents=total,
        paid_cents=paid,
        now=at,
        zone=ZONE,
        cancelled_by=by,
        end_reason=reason,
    )
    assert decision.amount_cents == refund, decision.reason
    assert decision.reason


@pytest.mark.parametrize("policy", domain.POLICIES)
def test_cancelling_later_never_refunds_more(policy: domain.Policy) -> None:
    """Across the whole stay, a later cancellation gives back the same or less."""
    previous = None
    at = START - 30 * D
    while at < datetime.combine(NIGHTS_60, datetime.min.time(), tzinfo=UTC):
        amount = domain.refund_for_cancellation(
            policy=policy,
            check_in=CHECK_IN,
            check_out=NIGHTS_60,
            total_cents=6000_00,
            paid_cents=6000_00,
            now=at,
            zone=ZONE,
            cancelled_by="guest",
        ).amount_cents
        assert previous is None or amount <= previous
        previous = amount
        at += 7 * H


def test_nights_stayed_are_those_before_today() -> None:
    assert domain.nights_stayed(CHECK_IN, NIGHTS_10, START - D, ZONE) == 0
    # Check-in at 15:00: until midnight at the room, tonight is not yet stayed.
    assert domain.nights_stayed(CHECK_IN, NIGHTS_10, START + 8 * H + 59 * timedelta(minutes=1), ZONE) == 0
    assert domain.nights_stayed(CHECK_IN, NIGHTS_10, START + 9 * H, ZONE) == 1
    assert domain.nights_stayed(CHECK_IN, NIGHTS_10, START + 4 * D + H, ZONE) == 4
    assert domain.nights_stayed(CHECK_IN, NIGHTS_10, START + 40 * D, ZONE) == 10


@pytest.mark.parametrize("paid", [6000_00, 3000_00, 4500_00])
def test_a_host_cancelling_refunds_the_nights_not_stayed_never_less_than_the_guest_would_get(paid: int) -> None:
    """Day by day through a 60-night stay: the host's cancellation keeps exactly the nights
    stayed (no more than paid), and gives back at least what the guest's own would."""
    at = START - 2 * D
    while at < domain.check_in_at(NIGHTS_60, ZONE):
        stayed = domain.nights_stayed(CHECK_IN, NIGHTS_60, at, ZONE)
        by_host = domain.refund_for_cancellation(
            policy="strict",
            check_in=CHECK_IN,
            check_out=NIGHTS_60,
            total_cents=6000_00,
            paid_cents=paid,
            now=at,
            zone=ZONE,
            cancelled_by="host",
        )
        assert by_host.amount_cents == max(0, paid - stayed * 100_00), (at, by_host.reason)
        for policy in domain.POLICIES:
            by_guest = domain.refund_for_cancellation(
                policy=policy,
                check_in=CHECK_IN,
                check_out=NIGHTS_60,
                total_cents=6000_00,
                paid_cents=paid,
                now=at,
                zone=ZONE,
                cancelled_by="guest",
            )
            assert by_host.amount_cents >= by_guest.amount_cents, (at, policy)
        at += 5 * H


def test_a_refund_takes_held_money_first_then_the_host_and_fee_share() -> None:
    fee = Decimal(3)
    assert domain.refund_split(500, released_cents=0, fees_cents=0, held_cents=1000, fee_percent=fee) == (500, 0, 0)
    assert domain.refund_split(1000_00, released_cents=1000_00, fees_cents=30_00, held_cents=0, fee_percent=fee) == (
        0,
        970_00,
        30_00,
    )
    with pytest.raises(ValueError):
        domain.refund_split(2000, released_cents=500, fees_cents=15, held_cents=1000, fee_percent=fee)


def test_partial_refunds_of_a_released_payment_take_back_its_fee_to_the_cent() -> None:
    """Refunds of 0.17 then the rest of 1,008.00 released: the fee taken back adds up to the
    30.24 charged, the host's share to its 977.76 (each refund's fee rounded on its own took
    back 30.25, and left the host a cent)."""
    fee = Decimal(3)
    released, fees, host, from_fees, from_host = 1008_00, 30_24, 977_76, 0, 0
    for amount in (17, 17, 17, 1008_00 - 51):
        _, back_host, back_fee = domain.refund_split(amount, released, fees, 0, fee)
        assert back_host + back_fee == amount and 0 <= back_fee <= fees
        released, fees = released - amount, fees - back_fee
        from_fees, from_host = from_fees + back_fee, from_host + back_host
        assert fees == domain.host_fee_cents(released, fee)
    assert (from_fees, from_host) == (30_24, host)


@pytest.mark.parametrize(
    ("current", "observed", "after"),
    [
        ("due", "succeeded", "succeeded"),
        ("due", "expired", "expired"),
        ("succeeded", "succeeded", None),
        ("succeeded", "expired", None),
        ("expired", "succeeded", None),
        ("succeeded", "due", None),
    ],
)
def test_payment_state_only_moves_forward(
    current: domain.PaymentStatus, observed: domain.PaymentStatus, after: domain.PaymentStatus | None
) -> None:
    assert domain.advance(current, observed) == after


@pytest.mark.parametrize("before_check_in", [timedelta(hours=11), timedelta(hours=1), -timedelta(hours=9)])
def test_a_deadline_is_never_sooner_than_12_hours_after_it_is_set(before_check_in: timedelta) -> None:
    """A stay accepted the evening before its check-in, or on the day itself (check-in at
    15:00 at the room may be past): 12 hours to pay, not seconds."""
    accepted = START - before_check_in
    assert domain.pay_deadline(accepted, START, timedelta(hours=48)) == accepted + domain.MIN_TIME_TO_PAY
    # A window set shorter than the floor is the whole time to pay.
    assert domain.pay_deadline(accepted, START, timedelta(hours=2)) == accepted + timedelta(hours=2)


def _due(check_out_days: int, total: int, paid: int, at: datetime) -> tuple[list[tuple[int, int, int]], int]:
    blocks = domain.schedule(CHECK_IN, CHECK_IN + timedelta(days=check_out_days), total, at, ZONE)
    dues, beyond = domain.still_due(blocks, paid, timedelta(hours=48))
    return [(d.block.index, d.block.nights, d.amount_cents) for d in dues], beyond


def test_nothing_paid_owes_the_schedule_of_a_direct_booking() -> None:
    at = START - 100 * D
    blocks = domain.schedule(CHECK_IN, CHECK_IN + 62 * D, 62_00, at, ZONE)
    dues, beyond = domain.still_due(blocks, 0, timedelta(hours=48))
    assert [(d.block, d.amount_cents) for d in dues] == [(b, b.amount_cents) for b in blocks]
    assert [d.pay_by for d in dues] == [at + 48 * H, blocks[1].charge_from + 3 * D, blocks[2].charge_from + 3 * D]
    assert beyond == 0


def test_new_dates_owe_the_direct_booking_less_what_is_paid() -> None:
    """Paid 28 nights, moved to 62: the rest of the first 30 nights now, then the later
    blocks each 3 days before it begins, as if booked so; nothing more."""
    at = START - 100 * D
    assert _due(62, 62_00, 28_00, at) == ([(0, 30, 2_00), (1, 30, 30_00), (2, 2, 2_00)], 0)
    # Paid beyond a block: the money covers the blocks in order.
    assert _due(62, 62_00, 45_00, at) == ([(1, 30, 15_00), (2, 2, 2_00)], 0)


def test_what_is_still_due_pays_for_the_nights_the_money_paid_does_not_reach() -> None:
    """Paid 28 nights, moved to 62: the rest of the first block pays for nights 29 and 30,
    not the 30 the first payment already pays 28 of; the later blocks for their own."""
    blocks = domain.schedule(CHECK_IN, CHECK_IN + 62 * D, 62_00, START - 100 * D, ZONE)
    dues, _ = domain.still_due(blocks, 28_00, timedelta(hours=48))
    assert [(d.start, d.nights) for d in dues] == [
        (CHECK_IN + 28 * D, 2),
        (CHECK_IN + 30 * D, 30),
        (CHECK_IN + 60 * D, 2),
    ]
    # Nothing paid: each block whole.
    dues, _ = domain.still_due(blocks, 0, timedelta(hours=48))
    assert [(d.start, d.nights) for d in dues] == [(b.start, b.nights) for b in blocks]


def test_new_dates_that_cost_less_than_was_paid_owe_nothing_and_refund_the_rest() -> None:
    """Paid 504 of a 14-night stay; moved to 20 nights (720) and back to 10 (360): what was
    paid beyond 360 comes back, exactly, and nothing stays due."""
    assert _due(20, 720_00, 504_00, START - 20 * D) == ([(0, 20, 216_00)], 0)
    assert _due(10, 360_00, 504_00, START - 20 * D) == ([], 144_00)


def test_what_new_dates_add_from_today_is_payable_for_12_hours() -> None:
    """Moved to start today: check-in (15:00 at the room) is past, the difference is still payable."""
    at = START + 9 * H
    [due], _ = domain.still_due(
        domain.schedule(CHECK_IN, CHECK_IN + 14 * D, 504_00, at, ZONE), 360_00, timedelta(hours=48)
    )
    assert (due.amount_cents, due.pay_by) == (144_00, at + domain.MIN_TIME_TO_PAY)


def test_paid_money_is_released_when_the_nights_it_pays_for_begin() -> None:
    blocks = domain.schedule(CHECK_IN, CHECK_IN + 62 * D, 62_00, START - 100 * D, ZONE)
    first, second = blocks[0].release_at, blocks[1].release_at
    # 28 nights' worth then 17 more: the second pays into the second block.
    assert domain.release_times(blocks, [28_00, 17_00]) == [first, second]
    # A payment refunded in full, or money beyond the total, goes with the last block it reaches.
    assert domain.release_times(blocks, [0, 30_00, 40_00]) == [first, first, blocks[2].release_at]


@pytest.mark.parametrize(
    ("status", "who", "check_out", "refused"),
    [
        ("requested", "guest", NIGHTS_10, None),
        ("accepted", "host", NIGHTS_10, None),
        ("confirmed", "guest", NIGHTS_10, None),
        ("requested", "host", NIGHTS_10, "declined, not cancelled"),
        ("confirmed", "guest", CHECK_IN, "the stay is over"),
        ("completed", "guest", NIGHTS_10, "completed"),
        ("expired", "guest", NIGHTS_10, "expired"),
        ("cancelled", "host", NIGHTS_10, "cancelled"),
        ("declined", "guest", NIGHTS_10, "declined"),
    ],
)
def test_only_a_cancellable_booking_has_a_refund_to_quote(
    status: str, who: str, check_out: date, refused: str | None
) -> None:
    why = domain.why_not_cancellable(status, check_out, CHECK_IN, who)
    assert why == refused if refused is None else refused in (why or "")


def test_a_guest_cancelling_after_a_declined_shift_is_protected_as_listings_says() -> None:
    assert domain.cancellation_end_reason(True, "guest") == "shift_declined"
    assert domain.cancellation_end_reason(True, "host") is None
    assert domain.cancellation_end_reason(False, "guest") is None
    assert domain.cancellation_end_reason(False, "guest", host_suspended=True) == "host_suspended"
    assert domain.cancellation_end_reason(False, "host", host_suspended=True) is None
    suspended = domain.refund_for_cancellation(
        policy="strict",
        check_in=CHECK_IN,
        check_out=NIGHTS_10,
        total_cents=1000_00,
        paid_cents=1000_00,
        now=START - H,
        zone=ZONE,
        cancelled_by="guest",
        end_reason="host_suspended",
    )
    assert suspended.reason == "the host's account is suspended: everything paid is refunded"


def test_a_payment_pays_for_the_nights_its_money_reaches_on_the_dates_now() -> None:
    """Paid 14 nights (504), the stay moved a week later and made 20 nights long: the 504
    pays for its first 14 nights, the 216 due for the 6 after them, whatever the dates
    were when it was paid."""
    moved = CHECK_IN + 7 * D
    assert domain.nights_paid_for(moved, moved + 20 * D, 720_00, [504_00, 216_00]) == [
        (moved, 14),
        (moved + 14 * D, 6),
    ]


def test_the_blocks_of_a_schedule_pay_for_their_own_nights() -> None:
    """Laid over the stay, a direct booking's blocks cover exactly their nights, also when
    the nightly price has fractions of a cent (the schedule's rounding is the same)."""
    for total in (62_00, 1234_57, 99_999_99):
        blocks = domain.schedule(CHECK_IN, CHECK_IN + 62 * D, total, START - 100 * D, ZONE)
        covered = domain.nights_paid_for(CHECK_IN, CHECK_IN + 62 * D, total, [b.amount_cents for b in blocks])
        assert covered == [(b.start, b.nights) for b in blocks]


def test_nights_are_shared_out_without_overlap() -> None:
    """A night belongs to the money that completes its price: 10 nights at 36, paid 100
    (2 nights and 28 of the third), then 44 (the third and fourth); a few cents complete
    no night; what is beyond the total pays for none, from check-out."""
    out = CHECK_IN + 10 * D
    assert domain.nights_paid_for(CHECK_IN, out, 360_00, [100_00, 44_00, 5, 215_95, 50_00]) == [
        (CHECK_IN, 2),
        (CHECK_IN + 2 * D, 2),
        (CHECK_IN + 4 * D, 0),
        (CHECK_IN + 4 * D, 6),
        (out, 0),
    ]


# --- the room's own check-in moment (audit 4, D11) -------------------------------------

CHRISTMAS = date(2026, 12, 25)


@pytest.mark.parametrize(
    ("zone", "release_utc"),
    [
        # 24 h after 15:00 on the 25th at the room: the afternoon of the 26th there. (The
        # old rule released every one at 00:00 UTC on the 26th: 14:00 HST, 16:00 PST and
        # 19:00 EST on the check-in day itself.)
        ("Pacific/Honolulu", datetime(2026, 12, 27, 1, tzinfo=UTC)),
        ("America/Los_Angeles", datetime(2026, 12, 26, 23, tzinfo=UTC)),
        ("America/New_York", datetime(2026, 12, 26, 20, tzinfo=UTC)),
    ],
)
def test_the_hold_is_released_24_hours_after_check_in_at_the_room(zone: str, release_utc: datetime) -> None:
    accepted = datetime(2026, 12, 1, tzinfo=UTC)
    [block] = domain.schedule(CHRISTMAS, CHRISTMAS + 14 * D, 504_00, accepted, zone)
    assert block.begins == domain.check_in_at(CHRISTMAS, zone)
    assert block.release_at == release_utc
    assert block.release_at.astimezone(timezones.zone(zone)).strftime("%d %H:%M") == "26 15:00"


@pytest.mark.parametrize(
    ("check_in", "release_local"),
    [
        # Check-in the day before the spring change: 24 real hours later is 16:00 EDT.
        (date(2027, 3, 13), "Mar 14, 2027 at 4:00 PM EDT"),
        (date(2027, 3, 14), "Mar 15, 2027 at 3:00 PM EDT"),
        # The day before the autumn change: 14:00 EST.
        (date(2027, 11, 6), "Nov 7, 2027 at 2:00 PM EST"),
        (date(2027, 11, 7), "Nov 8, 2027 at 3:00 PM EST"),
    ],
)
def test_the_release_is_24_real_hours_after_check_in_across_dst(check_in: date, release_local: str) -> None:
    [block] = domain.schedule(check_in, check_in + 7 * D, 252_00, datetime(2027, 1, 1, tzinfo=UTC), ZONE)
    assert block.release_at - block.begins == domain.RELEASE_AFTER_CHECK_IN
    assert timezones.local(block.release_at, ZONE) == release_local


def test_a_later_block_begins_and_is_charged_by_the_rooms_clock() -> None:
    """A 45-night stay from 2027-02-20 in Los Angeles: its second block starts 2027-03-22,
    after the spring change, at 15:00 PDT; it may be charged 72 hours before."""
    blocks = domain.schedule(
        date(2027, 2, 20), date(2027, 4, 6), 45_00, datetime(2027, 1, 1, tzinfo=UTC), "America/Los_Angeles"
    )
    second = blocks[1]
    assert second.start == date(2027, 3, 22)
    assert second.begins == second.release_at == datetime(2027, 3, 22, 22, tzinfo=UTC)
    assert second.charge_from == second.begins - domain.BLOCK_CHARGE_LEAD
    dues, _ = domain.still_due(blocks, 0, timedelta(hours=48))
    assert dues[1].pay_by == second.begins
    assert blocks[0].release_at == datetime(2027, 2, 21, 23, tzinfo=UTC)  # 15:00 PST the next day


@pytest.mark.parametrize(
    ("zone", "full_until"),
    [
        # Flexible: full refund until 24 h before 15:00 at the room on 2027-03-14 (the
        # spring change: in Los Angeles that is 14:00 PST on the 13th, 22:00 UTC).
        ("America/Los_Angeles", datetime(2027, 3, 13, 22, tzinfo=UTC)),
        ("America/New_York", datetime(2027, 3, 13, 19, tzinfo=UTC)),
        ("Pacific/Honolulu", datetime(2027, 3, 14, 1, tzinfo=UTC)),
    ],
)
def test_the_flexible_deadline_is_24_hours_before_check_in_at_the_room(zone: str, full_until: datetime) -> None:
    def refund(at: datetime) -> int:
        return domain.refund_for_cancellation(
            policy="flexible",
            check_in=date(2027, 3, 14),
            check_out=date(2027, 3, 24),
            total_cents=1000_00,
            paid_cents=1000_00,
            now=at,
            zone=zone,
            cancelled_by="guest",
        ).amount_cents

    assert refund(full_until) == 1000_00
    # Within 24 hours: the nights beyond the first 7. (The old rule's deadline was 00:00 UTC
    # on the 13th, a whole US day earlier.)
    assert refund(full_until + timedelta(minutes=1)) == 300_00


def test_the_moderate_deadline_is_7_days_before_check_in_at_the_room_across_the_autumn_change() -> None:
    """Check-in 2027-11-10 at 15:00 EST (20:00 UTC): 7 days (168 real hours) before is
    2027-11-03 20:00 UTC, 16:00 EDT, before the clocks went back."""
    deadline = datetime(2027, 11, 3, 20, tzinfo=UTC)

    def refund(at: datetime) -> int:
        return domain.refund_for_cancellation(
            policy="moderate",
            check_in=date(2027, 11, 10),
            check_out=date(2027, 11, 24),
            total_cents=1400_00,
            paid_cents=1400_00,
            now=at,
            zone=ZONE,
            cancelled_by="guest",
        ).amount_cents

    assert refund(deadline) == 1400_00
    assert refund(deadline + timedelta(seconds=1)) == 700_00


def test_a_stay_in_honolulu_is_not_under_way_at_midnight_utc() -> None:
    """At 00:30 UTC on 2026-12-26 (14:30 HST on the 25th, before check-in) the host's
    cancellation refunds everything; the stay's nights at the room are counted by its date."""
    before = datetime(2026, 12, 26, 0, 30, tzinfo=UTC)
    zone = "Pacific/Honolulu"
    assert domain.nights_stayed(CHRISTMAS, CHRISTMAS + 10 * D, before, zone) == 0
    # Midnight in Honolulu (10:00 UTC on the 26th): one night stayed; in UTC's reckoning
    # it was already one at 00:00 UTC, 14:00 HST on the check-in day.
    assert domain.nights_stayed(CHRISTMAS, CHRISTMAS + 10 * D, datetime(2026, 12, 26, 9, 59, tzinfo=UTC), zone) == 0
    assert domain.nights_stayed(CHRISTMAS, CHRISTMAS + 10 * D, datetime(2026, 12, 26, 10, tzinfo=UTC), zone) == 1


def test_a_payment_still_due_is_released_with_the_block_holding_its_last_night() -> None:
    blocks = domain.schedule(CHECK_IN, CHECK_IN + 62 * D, 62_00, START - 100 * D, ZONE)
    assert domain.release_of_nights(blocks, CHECK_IN, 30) == blocks[0].release_at
    assert domain.release_of_nights(blocks, CHECK_IN + 28 * D, 2) == blocks[0].release_at
    assert domain.release_of_nights(blocks, CHECK_IN + 30 * D, 30) == blocks[1].release_at
    assert domain.release_of_nights(blocks, CHECK_IN + 60 * D, 2) == blocks[2].release_at
    # As still_due lays them out.
    dues, _ = domain.still_due(blocks, 28_00, timedelta(hours=48))
    assert [domain.release_of_nights(blocks, d.start, d.nights) for d in dues] == [d.block.release_at for d in dues]


def test_an_overdue_payment_states_its_deadline_on_the_rooms_clock() -> None:
    """A later block of a Los Angeles stay is due at its check-in moment there, 15:00 PST;
    the announcement said "2027-02-06 23:00 UTC"."""
    pay_by = domain.check_in_at(date(2027, 2, 6), "America/Los_Angeles")
    assert pay_by == datetime(2027, 2, 6, 23, tzinfo=UTC)
    assert domain.overdue_reason(21_600, date(2027, 2, 6), pay_by, "America/Los_Angeles") == (
        "$216.00 for the nights from Feb 6, 2027 was due by Feb 6, 2027 at 3:00 PM PST and is still unpaid:"
        " pay it from the booking's receipt"
    )
    summer = domain.check_in_at(date(2027, 7, 6), "America/New_York")
    assert "was due by Jul 6, 2027 at 3:00 PM EDT and" in domain.overdue_reason(
        100, date(2027, 7, 6), summer, "America/New_York"
    )
