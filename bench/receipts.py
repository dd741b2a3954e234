"""A booking's receipt (``services.payments.store.booking_money``) against a large ledger,
with and without the indexes of payments' migration 0003.

Starts an embedded Postgres in a temporary folder (fsync off), applies payments'
migrations and writes ``--payments`` bookings, each with a paid and released payment,
straight in SQL (two ledger transactions and five entries each; the ledger's triggers are off while it does).
Then it reads the receipts of 200 random bookings twice: with the indexes, and inside a
transaction that drops them (rolled back). Last line: ``RESULT {json}``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

from services.payments import store
from shared.db import migrate
from shared.embedded import start_postgres

SEED = """
SET session_replication_role = replica;
INSERT INTO bookings(booking_id, listing_id, guest_id, host_id, check_in, check_out, total_cents, status,
                     cancellation_policy, accepted_at, version)
SELECT gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), current_date,
       current_date + 28, 100000, 'confirmed', 'moderate', now(), 3
FROM generate_series(1, $COUNT);
INSERT INTO payments(id, booking_id, block, start_date, nights, amount_cents, charge_from, release_at, status)
SELECT gen_random_uuid(), booking_id, 0, check_in, 28, total_cents, now(), now(), 'succeeded' FROM bookings;
INSERT INTO ledger_transactions(id, reference, kind, booking_id, payment_id)
SELECT gen_random_uuid(), k || ':' || p.id, k, p.booking_id, p.id
FROM payments p, unnest(array['charge', 'release']) k;
INSERT INTO ledger_entries(transaction_id, account, amount_cents)
SELECT t.id, e.account, e.amount FROM ledger_transactions t,
  LATERAL (VALUES ('guest_card', -100000), ('holding', 100000)) e(account, amount) WHERE t.kind = 'charge';
INSERT INTO ledger_entries(transaction_id, account, amount_cents)
SELECT t.id, e.account, e.amount FROM ledger_transactions t,
  LATERAL (VALUES ('holding', -100000), ('host:h', 90000), ('fees', 10000)) e(account, amount)
  WHERE t.kind = 'release';
SET session_replication_role = DEFAULT;
ANALYZE;
"""


class _Undo(Exception):
    """Raised to roll back the transaction that dropped the indexes."""


async def _receipts_ms(conn: asyncpg.Connection, bookings: list[uuid.UUID]) -> list[float]:
    times = []
    for booking_id in bookings:
        start = time.perf_counter()
        _, _, totals = await store.booking_money(conn, booking_id)
        times.append((time.perf_counter() - start) * 1000)
        assert totals["paid"] == 100000 and totals["released"] == 90000, totals
    return times


async def measure(url: str, count: int) -> dict[str, float | int]:
    await migrate(url, "payments", "services.payments.migrations")
    conn = await asyncpg.connect(url, server_settings={"search_path": "payments,public"})
    try:
        print(f"writing {count:,} paid bookings and their ledger...", flush=True)
        await conn.execute(SEED.replace("$COUNT", str(count)))
        rows = await conn.fetch("SELECT booking_id FROM bookings ORDER BY random() LIMIT 200")
        bookings = [r["booking_id"] for r in rows]
        indexed = await _receipts_ms(conn, bookings)
        try:
            async with conn.transaction():
                await conn.execute("DROP INDEX ledger_transactions_payment, ledger_transactions_booking")
                unindexed = await _receipts_ms(conn, bookings)
                raise _Undo
        except _Undo:
            pass
    finally:
        await conn.close()
    result: dict[str, float | int] = {"payments": count, "receipts": len(bookings)}
    for name, times in (("indexed", indexed), ("without_indexes", unindexed)):
        result[f"{name}_p50_ms"] = round(statistics.median(times), 3)
        result[f"{name}_max_ms"] = round(max(times), 3)
        print(f"{name}: median {result[f'{name}_p50_ms']} ms, max {result[f'{name}_max_ms']} ms")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--payments", type=int, default=100_000, help="paid payments in the ledger")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wardmate-receipts-") as tmp:
        server = start_postgres(Path(tmp) / "pg", fsync=False)
        try:
            result = asyncio.run(measure(server.local_url(server.url), args.payments))
        finally:
            server.stop()
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
