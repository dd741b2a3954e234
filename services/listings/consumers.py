"""Event consumers of listings: the hosts projection (name, verified badge) from accounts."""

from __future__ import annotations

from services.listings import store
from services.listings.handlers import app
from shared.contracts.accounts import ProfileUpdated, UserRegistered, UserVerified
from shared.contracts.base import Event
from shared.db import Connection


@app.consumer("hosts", UserRegistered.subject, ProfileUpdated.subject, UserVerified.subject)
async def project_hosts(conn: Connection, event: Event) -> None:
    if isinstance(event, UserRegistered | ProfileUpdated):
        await store.upsert_host(conn, event.user_id, display_name=event.display_name)
    elif isinstance(event, UserVerified):
        await store.upsert_host(conn, event.user_id, verified=True)
