"""The messaging service: its ``ServiceApp``.

Endpoints register on ``app`` in ``handlers/`` (conversations and messages,
notifications, blocks and reports, push replay), event consumers in ``consumers.py``;
``__main__`` imports both.
"""

from __future__ import annotations

from shared.service import ServiceApp

app = ServiceApp("messaging", migrations="services.messaging.migrations")
