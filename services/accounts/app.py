"""The accounts service: users, sessions, profiles and credentials, wired explicitly."""

from __future__ import annotations

from services.accounts.handlers import profiles, sessions, verifications
from shared.service import ServiceApp

app = ServiceApp(
    "accounts",
    migrations="services.accounts.migrations",
    include=(sessions.registry, profiles.registry, verifications.registry),
)
