"""Property: whatever sequence of accept, pay, new dates, cancel (by guest or host, after a
declined shift or not), operator refund, refund sending, expiry, the sweep of intents
replaced by new dates, release and clock moves happens over several bookings, the ledger
balances, no account goes negative, every host's balance is what was released to them less
the fee (less what refunds took back), a stay's payments due and paid add up to its total,
and the ledger reconciles with a real Stripe-compatible server (localstripe)."""

from __future__ import annotations

import asyncio
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from services.payments import consumers, domain, flows, jobs, store
from services.payments.reconcile import reconcile
from services.payments.stripe_api import StripeApi
from shared import clock, timezones
from shared.contracts.listings import BookingAccepted, BookingCancelled, BookingData, BookingShifted
from shared.db import create_pool, migrate
from shared.localstripe import LocalStripe
from shared.settings import Settings
from shared.stays import check_in_moment

BOOKINGS = 3
# The rooms' time zones, by booking: one from an event older than the field (None: payments
# takes America/New_York), the westernmost US zone, and the Pacific coast's.
ZONES = (None, "Pacific/Honolulu", "America/Los_Angeles")
# Ledger transactions by kind over all histories: the property must not hold vacuously.
SEEN: dict[str, int] = {}
HOSTS = [uuid.uuid4(), uuid.uuid4()]

# One step of a history: (action, booking index, a number the action reads).
Step = tuple[str, int, int]
steps = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "accept",
                "pay",
                "shift",
                "cancel_guest",
                "cancel_host",
                "cancel_shift",
                "operator_refund",
                "refunds",
                "sweep",
                "expire",
                "release",
                "clock",
            ]
        ),
        st.integers(0, BOOKINGS - 1),
        st.integers(0, 1000),
    ),
    min_size=5,
    max_size=25,
)
stays = st.lists(
    st.tuples(st.integers(1, 12), st.integers(7, 70), st.sampled_from(domain.POLICIES), st.integers(300, 3000)),
    min_size=BOOKINGS,
    max_size=BOOKINGS,
)


@pytest.fixture(scope="module")
def stripe_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStripe]:
    # Webhooks go nowhere here: the steps apply Stripe's answers themselves.
    server = LocalStripe.start(Path(tmp_path_factory.mktemp("localstripe")), "http://127.0.0.1:9/unused")
    yield server
    server.stop()


class World:
    """The bookings of one history and payments' clock."""

    def __init__(self, pool: asyncpg.Pool, api: StripeApi, stripe_url: str, plan: list[tuple[int, int, str, int]]):
        self.pool = pool
        self.api = api
        self.stripe_url = stripe_url
        self.offset = timedelta(0)
        self.bookings: list[BookingData] = []
        self.status: list[str] = []
        # Bookings an operator refunded: their payments no longer add up to the total.
        self.operator_refunded: set[int] = set()
        for i, (start, nights, policy, rent) in enumerate(plan):
            check_in = date.today() + timedelta(days=start)
            self.bookings.append(
                BookingData(
                    booking_id=uuid.uuid4(),
                    version=1,
                    listing_id=uuid.uuid4(),
                    listing_title=f"Room {i}",
                    guest_id=uuid.uuid4(),
                    host_id=HOSTS[i % len(HOSTS)],
                    check_in=check_in,
                    check_out=check_in + timedelta(days=nights),
                    status="requested",
                    total_cents=rent * 100 * 12 * nights // 365,
                    cancellation_policy=policy,
                    time_zone=ZONES[i % len(ZONES)],
                )
            )
            self.status.append("requested")

    @property
    def settings(self) -> Settings:
        return Settings(stripe_api_base=self.stripe_url, clock_offset_s=self.offset.total_seconds())

    def snapshot(self, i: int, status: str, end_reason: str | None = None, **changes: object) -> BookingData:
        b = self.bookings[i]
        update = {"version": b.version + 1, "status": status, "end_reason": end_reason, **changes}
        self.bookings[i] = b.model_copy(update=update)
        self.status[i] = status
        return self.bookings[i]

    async def run(self, action: str, i: int, n: int) -> None:
        consumers.SETTINGS[:] = [self.settings]
        now = datetime.now(UTC)
        if action == "accept" and self.status[i] == "requested":
            event = BookingAccepted(booking=self.snapshot(i, "accepted"), occurred_at=now)
            async with self.pool.acquire() as conn, conn.transaction():
                await consumers.apply_booking(conn, event)
        elif action == "pay" and self.status[i] in ("accepted", "confirmed"):
            await self.pay(i)
        elif action == "shift" and self.status[i] in ("accepted", "confirmed"):
            # New dates at the stay's nightly rate: up to 4 days later, 7 to 70 nights.
            b = self.bookings[i]
            nightly = b.total_cents // (b.check_out - b.check_in).days
            check_in = b.check_in + timedelta(days=n % 5)
            nights = 7 + n % 64
            moved = self.snapshot(
                i,
                self.status[i],
                check_in=check_in,
                check_out=check_in + timedelta(days=nights),
                total_cents=nightly * nights,
            )
            async with self.pool.acquire() as conn, conn.transaction():
                await consumers.apply_booking(conn, BookingShifted(booking=moved, occurred_at=now))
        elif action == "sweep":
            await flows.close_intents(self.pool, self.api, self.settings)
        elif action.startswith("cancel") and self.status[i] in ("accepted", "confirmed"):
            b = self.bookings[i]
            by = b.host_id if action == "cancel_host" else b.guest_id
            reason = "shift_declined" if action == "cancel_shift" else None
            cancelled = BookingCancelled(
                booking=self.snapshot(i, "cancelled", reason), cancelled_by=by, occurred_at=now
            )
            async with self.pool.acquire() as conn, conn.transaction():
                await consumers.apply_booking(conn, cancelled)
        elif action == "operator_refund":
            async with self.pool.acquire() as conn, conn.transaction():
                payments = await store.payments_of(conn, self.bookings[i].booking_id)
                left = sum(p["amount_cents"] - p["refunded_cents"] for p in payments if p["status"] == "succeeded")
                if left > 0:
                    amount = 1 + n * (left - 1) // 1000
                    await flows.add_refunds(conn, self.bookings[i].booking_id, amount, "operator", "property", None)
                    self.operator_refunded.add(i)
        elif action == "refunds":
            await flows.run_refund(self.pool, self.api, self.settings)
        elif action == "expire":
            await jobs.expire_unpaid(self.pool, self.api, self.settings)
            await self.follow_expiry()
        elif action == "release":
            await jobs.release_held(self.pool, self.settings)
        elif action == "clock":
            # Up to three days a step: a few steps reach a check-in, one can pass the 48
            # hours to pay.
            self.offset += timedelta(hours=n % 73)

    async def pay(self, i: int) -> None:
        """What POST /pay does: the first payment, or the next one due (a later block, or
        what new dates added)."""
        booking_id = self.bookings[i].booking_id
        first = await store.first_payment(self.pool, booking_id)
        if first is not None:
            first = await store.next_due(self.pool, booking_id, clock.now(self.settings)) or first
        row = await store.payment(self.pool, first["id"]) if first else None
        if row is None or row["status"] != "due":
            return
        if row["block"] == 0 and row["pay_by"] <= clock.now(self.settings):
            return
        row = await flows.ensure_intent(self.pool, self.api, row["id"])
        intent = await self.api.confirm_intent(row["payment_intent"], "pm_card_visa")
        async with self.pool.acquire() as conn, conn.transaction():
            locked = await store.payment(conn, row["id"], for_update=True)
            assert locked is not None
            await flows.apply_intent(conn, locked, intent, clock.now(self.settings), report_failure=False)
        # What listings does with payments.payment.succeeded (of the first payment).
        if self.status[i] == "accepted" and row["block"] == 0:
            self.snapshot(i, "confirmed")

    async def follow_expiry(self) -> None:
        for i, b in enumerate(self.bookings):
            first = await store.first_payment(self.pool, b.booking_id)
            row = await store.payment(self.pool, first["id"]) if first else None
            if row is not None and row["status"] == "expired" and self.status[i] == "accepted":
                self.snapshot(i, "expired")


async def _history(dsn: str, stripe: LocalStripe, plan: list[tuple[int, int, str, int]], history: list[Step]) -> None:
    # A fresh Stripe and a fresh schema for each history: reconciliation sees this one only.
    flush = urllib.request.Request(f"{stripe.url}/_config/data", method="DELETE")
    await asyncio.to_thread(lambda: urllib.request.urlopen(flush, timeout=5).close())
    pool = await create_pool(dsn, "payments", size=3)
    api = StripeApi(Settings(stripe_api_base=stripe.url))
    try:
        await pool.execute(
            "TRUNCATE ledger_entries, ledger_transactions, refunds, payments, bookings, stripe_events, outbox, inbox"
        )
        world = World(pool, api, stripe.url, plan)
        # Every booking starts accepted (a history of requests alone tests nothing).
        for action, i, n in [("accept", i, 0) for i in range(BOOKINGS)] + history:
            await world.run(action, i, n)
        await flows.run_refund(pool, api, world.settings)
        await flows.close_intents(pool, api, world.settings)
        await flows.run_refund(pool, api, world.settings)
        await check(pool, api, world)
        # Then every stay begins and ends: what is still held is released, once.
        await world.run("clock", 0, 0)
        world.offset += timedelta(days=200)
        await jobs.release_held(pool, world.settings)
        await world.run("cancel_guest", 0, 0)
        await flows.run_refund(pool, api, world.settings)
        await check(pool, api, world)
        for row in await pool.fetch("SELECT kind FROM ledger_transactions"):
            SEEN[row["kind"]] = SEEN.get(row["kind"], 0) + 1
    finally:
        await api.close()
        await pool.close()


async def check(pool: asyncpg.Pool, api: StripeApi, world: World) -> None:
    assert await store.ledger_total(pool) == 0
    fee_percent = world.settings.host_fee_percent
    for payment in await pool.fetch("SELECT id, amount_cents, release_at, released_at FROM payments"):
        held = await store.payment_balances(pool, payment["id"])
        assert held["held"] >= 0 and held["refunded"] <= held["paid"] <= payment["amount_cents"], dict(held)
        if payment["released_at"] is not None:
            assert payment["released_at"] >= payment["release_at"]  # never before its time
    # Nothing is to be released before 24 hours after the stay's check-in at its room
    # (15:00 there on its first day), whatever the dates became.
    for b in world.bookings:
        check_in = check_in_moment(b.check_in, b.time_zone or timezones.DEFAULT_ZONE)
        earliest = await pool.fetchval(
            "SELECT min(release_at) FROM payments WHERE booking_id = $1 AND status IN ('due', 'succeeded')"
            " AND released_at IS NULL",
            b.booking_id,
        )
        assert earliest is None or earliest >= check_in + domain.RELEASE_AFTER_CHECK_IN, (b, earliest)
    # A release pays the host what it releases less the fee, exactly.
    releases = await pool.fetch(
        "SELECT t.id, sum(e.amount_cents) FILTER (WHERE e.account LIKE 'host:%') AS host,"
        " sum(e.amount_cents) FILTER (WHERE e.account = 'fees') AS fee,"
        " -sum(e.amount_cents) FILTER (WHERE e.account = 'holding') AS gross"
        " FROM ledger_transactions t JOIN ledger_entries e ON e.transaction_id = t.id WHERE t.kind = 'release'"
        " GROUP BY t.id"
    )
    for r in releases:
        assert r["fee"] == domain.host_fee_cents(r["gross"], fee_percent) and r["host"] == r["gross"] - r["fee"]
    # Every host's balance: released to them, less what refunds of released money took back.
    for host in HOSTS:
        account = flows.host_account(host)
        balance = await store.account_balance(pool, account)
        credited = await pool.fetchval(
            "SELECT coalesce(sum(e.amount_cents), 0) FROM ledger_entries e JOIN ledger_transactions t"
            " ON t.id = e.transaction_id WHERE e.account = $1 AND t.kind = 'release'",
            account,
        )
        taken = await pool.fetchval(
            "SELECT coalesce(-sum(e.amount_cents), 0) FROM ledger_entries e JOIN ledger_transactions t"
            " ON t.id = e.transaction_id WHERE e.account = $1 AND t.kind = 'refund'",
            account,
        )
        assert balance == credited - taken and balance >= 0
    # New dates never leave a stay owing more or less than its total: what is due plus
    # what was paid and not refunded is the total, or all of it was paid and the rest
    # refunded (an operator's refund is a gesture beyond that rule).
    for i, b in enumerate(world.bookings):
        if world.status[i] not in ("accepted", "confirmed") or i in world.operator_refunded:
            continue
        payments = await store.payments_of(pool, b.booking_id)
        due = sum(p["amount_cents"] for p in payments if p["status"] == "due")
        assert flows.paid_cents(payments) + due == b.total_cents, (b, [dict(p) for p in payments])
    report = await reconcile(pool, api, clock.now(world.settings))
    assert report.ok, report.differences


def test_any_history_keeps_the_ledger_whole_and_reconciled(fresh_db: str, stripe_server: LocalStripe) -> None:
    """Random histories over three bookings of two hosts (up to 25 steps each), which
    between them charge, refund and release many times."""
    asyncio.run(migrate(fresh_db, "payments", "services.payments.migrations"))

    # Derandomized: the same histories every run, so the coverage check below cannot flake.
    @settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(stays, steps)
    # Histories that certainly pay, release after check-in, refund before and after the
    # release, cancel by each side and let a payment expire; the rest are Hypothesis's.
    @example(
        [(3, 28, "moderate", 1200), (2, 60, "strict", 2500), (4, 14, "flexible", 900)],
        [
            ("pay", 0, 0),
            ("pay", 1, 0),
            ("pay", 2, 0),
            ("clock", 0, 72),
            ("clock", 0, 72),
            ("release", 0, 0),
            ("cancel_guest", 1, 0),
            ("refunds", 0, 0),
            ("operator_refund", 2, 500),
            ("refunds", 0, 0),
            ("release", 0, 0),
            ("cancel_host", 0, 0),
            ("refunds", 0, 0),
        ],
    )
    # New dates: paid then longer (more due) then shorter (refund, nothing due), a stay not
    # yet paid moved twice (its old intents closed by the sweep), then paid and released.
    @example(
        [(5, 14, "moderate", 1095), (8, 28, "strict", 1500), (3, 40, "flexible", 900)],
        [
            ("pay", 0, 0),
            ("shift", 0, 13),
            ("shift", 0, 3),
            ("pay", 1, 0),
            ("refunds", 0, 0),
            ("shift", 2, 60),
            ("sweep", 0, 0),
            ("shift", 2, 1),
            ("pay", 2, 0),
            ("pay", 2, 0),
            ("shift", 1, 60),
            ("pay", 1, 0),
            ("sweep", 0, 0),
            ("refunds", 0, 0),
            ("clock", 0, 72),
            ("clock", 0, 72),
            ("release", 0, 0),
        ],
    )
    @example(
        [(10, 40, "strict", 3000), (12, 20, "moderate", 800), (1, 7, "flexible", 600)],
        [
            ("pay", 0, 0),
            ("cancel_shift", 0, 0),
            ("clock", 0, 50),
            ("expire", 1, 0),
            ("pay", 1, 0),
            ("pay", 2, 0),
            ("operator_refund", 2, 1000),
            ("refunds", 0, 0),
            ("clock", 0, 72),
            ("release", 0, 0),
        ],
    )
    def run(plan: list[tuple[int, int, str, int]], history: list[Step]) -> None:
        asyncio.run(_history(fresh_db, stripe_server, plan, history))

    run()
    # The two explicit histories alone make 4 charges, 4 refunds and 3 releases; what the
    # generated ones add varies with the test session (measured: 14/6/12 alone, fewer after
    # the unit tests), so only the explicit floor is asserted: nothing passes vacuously.
    assert SEEN.get("charge", 0) >= 4 and SEEN.get("refund", 0) >= 4 and SEEN.get("release", 0) >= 3, SEEN
    print(f"ledger transactions over the histories: {SEEN}")


def test_reconciliation_finds_a_wardmate_charge_no_payment_holds(fresh_db: str, stripe_server: LocalStripe) -> None:
    """A succeeded intent whose metadata names a Wardmate charge step but that no payment
    holds (an earlier version forgot intents when new dates changed an amount) is a
    difference; another system's intent on the same account is not."""

    async def run() -> list[str]:
        await migrate(fresh_db, "payments", "services.payments.migrations")
        flush = urllib.request.Request(f"{stripe_server.url}/_config/data", method="DELETE")
        await asyncio.to_thread(lambda: urllib.request.urlopen(flush, timeout=5).close())
        pool = await create_pool(fresh_db, "payments", size=2)
        api = StripeApi(Settings(stripe_api_base=stripe_server.url))
        try:
            forgotten = await api.create_intent(f"charge:{uuid.uuid4()}:r1", 5000, {"booking_id": str(uuid.uuid4())})
            await api.confirm_intent(forgotten.id, "pm_card_visa")
            others = await api.client.v1.payment_intents.create_async(params={"amount": 700, "currency": "usd"})
            await api.confirm_intent(others.id, "pm_card_visa")
            report = await reconcile(pool, api, datetime.now(UTC))
        finally:
            await api.close()
            await pool.close()
        assert not report.ok
        return [d for d in report.differences if forgotten.id in d] + [d for d in report.differences if others.id in d]

    [difference] = asyncio.run(run())
    assert "5000 cents" in difference and "no payment holds its intent" in difference


def test_every_refund_of_an_intent_is_read_past_stripes_page_of_100(fresh_db: str, stripe_server: LocalStripe) -> None:
    """A charge refunded in 101 parts: reconciliation counts all 101 refunds at Stripe, and
    a refund step made before a crash is found among them, the oldest included (Stripe lists
    the newest first, 100 a page: the 101st was read by no one)."""

    async def run() -> None:
        await migrate(fresh_db, "payments", "services.payments.migrations")
        flush = urllib.request.Request(f"{stripe_server.url}/_config/data", method="DELETE")
        await asyncio.to_thread(lambda: urllib.request.urlopen(flush, timeout=5).close())
        pool = await create_pool(fresh_db, "payments", size=2)
        api = StripeApi(Settings(stripe_api_base=stripe_server.url))
        try:
            charge = await api.create_intent(f"charge:{uuid.uuid4()}", 500, {"booking_id": str(uuid.uuid4())})
            await api.confirm_intent(charge.id, "pm_card_visa")
            steps = [f"refund:{uuid.uuid4()}" for _ in range(101)]
            for step in steps:
                await api.create_refund(step, charge.id, 1)
            refunds = await api.refunds_of(charge.id)
            assert sorted(r.step or "" for r in refunds) == sorted(steps)
            oldest = await api.find_refund(steps[0], charge.id)
            assert oldest is not None and oldest.amount == 1
            report = await reconcile(pool, api, datetime.now(UTC))
            assert report.refunds_at_stripe == 101, report
            assert sum(1 for d in report.differences if d.startswith("refund ")) == 101
        finally:
            await api.close()
            await pool.close()

    asyncio.run(run())
