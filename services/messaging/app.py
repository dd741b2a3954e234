"""The messaging service: conversations and messages, notifications, blocks and reports,
push replay, blocks' snapshots; event consumers turn other services' events into
notifications. Wired here."""

from __future__ import annotations

from services.messaging import consumers, jobs
from services.messaging.handlers import conversations, notifications, privacy, pushes, safety, snapshots
from shared.service import ServiceApp

app = ServiceApp(
    "messaging",
    migrations="services.messaging.migrations",
    include=(
        conversations.registry,
        notifications.registry,
        pushes.registry,
        safety.registry,
        snapshots.registry,
        privacy.registry,
        consumers.registry,
        jobs.registry,
    ),
)
