"""The accounts service: users, sessions, profiles and credentials, the account
lifecycle (verification, recovery, sessions, mail preferences), and the one mail sender
(its consumers and the digest job); wired explicitly."""

from __future__ import annotations

from services.accounts import consumers, jobs
from services.accounts.handlers import (
    calendar,
    documents,
    lifecycle,
    privacy,
    profiles,
    sessions,
    snapshots,
    suspensions,
    verifications,
)
from shared.media import open_media
from shared.service import ServiceApp

app = ServiceApp(
    "accounts",
    migrations="services.accounts.migrations",
    include=(
        sessions.registry,
        profiles.registry,
        verifications.registry,
        suspensions.registry,
        documents.registry,
        lifecycle.registry,
        calendar.registry,
        privacy.registry,
        snapshots.registry,
        consumers.registry,
        jobs.registry,
    ),
)
app.resource(open_media)
