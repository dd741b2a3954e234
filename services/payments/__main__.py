"""Run the payments service: ``python -m services.payments``; or compare the ledger with
Stripe: ``python -m services.payments reconcile`` (exit status 1 on any difference)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from services.payments import flows
from services.payments.app import app
from services.payments.reconcile import reconcile
from shared import clock
from shared.cli import main
from shared.db import create_pool
from shared.settings import Settings


async def _reconcile(settings: Settings) -> int:
    pool = await create_pool(settings.database_url, app.name, size=2, app=f"{app.name}-reconcile")
    api = flows.stripe_api(settings)
    try:
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
    return asyncio.run(_reconcile(settings))


if __name__ == "__main__":
    main(app, commands={"reconcile": run_reconcile})
