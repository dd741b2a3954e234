"""The accounts service: its ``ServiceApp``.

Endpoints register on ``app`` in ``handlers.py`` (signup, sessions, profiles) and
``lifecycle_handlers.py`` (verification, recovery, sessions list, mail preferences); the
mail consumers in ``consumers.py`` and the digest in ``jobs.py``; ``__main__`` imports all.
"""

from __future__ import annotations

from shared.service import ServiceApp

app = ServiceApp("accounts", migrations="services.accounts.migrations")
