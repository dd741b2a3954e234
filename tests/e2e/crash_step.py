"""A process that dies by SIGKILL in the middle of a step, to prove what survives it.

``python -m tests.e2e.crash_step charge <payment id>`` runs payments' own charge step
(``flows.ensure_intent``) with the service's settings from the environment, and kills
itself the moment Stripe has created the PaymentIntent, before the transaction that would
record it commits. ``refund`` does the same to the refund worker's step.

``python -m tests.e2e.crash_step erase <user id>`` applies listings' deletions consumer to
a ``user.deleted`` event of that user, as the consumer does (through the inbox), and kills
itself once the transaction has committed, before what the consumer runs after the commit.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from typing import Any

import nats

from services.listings import consumers
from services.payments import flows
from services.payments.stripe_api import StripeApi
from shared.consumers import AfterCommit, Consumer
from shared.contracts.base import Event
from shared.contracts.privacy import UserDeleted
from shared.db import Connection, create_pool
from shared.settings import Settings


def die_after(method: Any) -> Any:
    async def call(*args: Any, **kwargs: Any) -> Any:
        await method(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)

    return call


async def die(*args: Any) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


async def erase(settings: Settings, user_id: uuid.UUID) -> None:
    pool = await create_pool(settings.database_url, "listings", size=2)
    nc = await nats.connect(settings.nats_url)

    async def apply(conn: Connection, event: Event) -> AfterCommit | None:
        await consumers.erase_user(conn, event)
        return die

    consumer = Consumer(pool, nc, "listings-deletions", [UserDeleted.subject], apply)
    await consumer.handle_event(UserDeleted(user_id=user_id))


async def main(step: str, target: str) -> None:
    settings = Settings()
    if step == "erase":
        await erase(settings, uuid.UUID(target))
        raise SystemExit("the consumer's commit was not followed by its after-commit step")
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
