"""Run the payments service: ``python -m services.payments``; or compare the ledger with
Stripe: ``python -m services.payments reconcile [--refund-orphans]`` (exit status 1 on any
difference; ``--refund-orphans`` first records and refunds the charges no payment holds)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence

from services.payments import flows
from services.payments.app import app
from services.payments.reconcile import reconcile, refund_orphans
from shared import clock
from shared.cli import main
from shared.db import create_pool
from shared.settings import Settings


async def _reconcile(settings: Settings, orphans: bool) -> int:
    pool = await create_pool(settings.database_url, app.name, size=2, app=f"{app.name}-reconcile")
    api = flows.stripe_api(settings)
    try:
        if orphans:
            for line in await refund_orphans(pool, api, settings):
                print(line)
        report = await reconcile(pool, api, clock.now(settings))
    finally:
        await pool.close()
        await api.close()
    print(f"charges: {report.charges_in_ledger} in the ledger, {report.charges_at_stripe} at Stripe")
    print(f"refunds: {report.refunds_in_ledger} in the ledger, {report.refunds_at_stripe} at Stripe")
    for difference in report.differences:
        print(f"DIFFERENCE: {difference}")
    for late in report.overdue:
        print(f"OVERDUE: {late}")
    print("reconciled: no difference" if report.ok else f"{len(report.differences)} difference(s)")
    return 0 if report.ok else 1


def run_reconcile(settings: Settings, argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.payments reconcile")
    parser.add_argument(
        "--refund-orphans",
        action="store_true",
        help="first record and refund in full each Wardmate charge at Stripe that no payment holds",
    )
    args = parser.parse_args(argv)
    return asyncio.run(_reconcile(settings, args.refund_orphans))


if __name__ == "__main__":
    main(app, commands={"reconcile": run_reconcile})
