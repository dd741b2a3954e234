"""The payments service: its ``ServiceApp``.

Endpoints register on ``app`` in ``handlers/`` (paying, receipts and refunds, payouts,
Stripe's webhook), listings' booking events in ``consumers.py``, the expiry, release and
refund workers in ``jobs.py``; ``__main__`` imports them all.
"""

from __future__ import annotations

from shared.service import ServiceApp

app = ServiceApp("payments", migrations="services.payments.migrations")
