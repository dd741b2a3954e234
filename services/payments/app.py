"""The payments service: paying for bookings through Stripe, receipts and refunds, host
payouts, Stripe's webhook (``handlers/``); listings' booking events (``consumers.py``);
the refund worker, expiry and release (``jobs.py``); wired here."""

from __future__ import annotations

from services.payments import consumers, jobs
from services.payments.handlers import operators, paying, payouts, privacy, webhooks
from shared.service import ServiceApp

app = ServiceApp(
    "payments",
    migrations="services.payments.migrations",
    include=(
        paying.registry,
        webhooks.registry,
        payouts.registry,
        operators.registry,
        privacy.registry,
        consumers.registry,
        jobs.registry,
    ),
)
