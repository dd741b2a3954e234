"""The matching service: its ``ServiceApp``. Consumers register in ``consumers.py``."""

from __future__ import annotations

from shared.service import ServiceApp

app = ServiceApp("matching", migrations="services.matching.migrations")
