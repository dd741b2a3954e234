"""A process that dies by SIGKILL between Stripe's answer and Wardmate's commit.

``python -m tests.e2e.crash_step charge <payment id>`` runs payments' own charge step
(``flows.ensure_intent``) with the service's settings from the environment, and kills
itself the moment Stripe has created the PaymentIntent, before the transaction that would
record it commits. ``refund`` does the same to the refund worker's step.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from typing import Any

from services.payments import flows
from services.payments.stripe_api import StripeApi
from shared.db import create_pool
from shared.settings import Settings


def die_after(method: Any) -> Any:
    async def call(*args: Any, **kwargs: Any) -> Any:
        await method(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)

    return call


async def main(step: str, target: str) -> None:
    settings = Settings()
    pool = await create_pool(settings.database_url, "payments", size=2)
    api = StripeApi(settings)
    if step == "charge":
        api.create_intent = die_after(api.create_intent)  # type: ignore[method-assign]
        await flows.ensure_intent(pool, api, uuid.UUID(target))
    else:
        api.create_refund = die_after(api.create_refund)  # type: ignore[method-assign]
        await flows.run_refund(pool, api, settings)
    raise SystemExit("the step finished without reaching Stripe")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
