"""The accounts service: users, sessions, profiles and credentials, wired explicitly."""

from __future__ import annotations

from services.accounts import jobs
from services.accounts.handlers import documents, profiles, sessions, verifications
from shared.media import open_media
from shared.service import ServiceApp

app = ServiceApp(
    "accounts",
    migrations="services.accounts.migrations",
    include=(sessions.registry, profiles.registry, verifications.registry, documents.registry, jobs.registry),
)
app.resource(open_media)
