"""Event consumers of listings: the hosts projection (name, verified badge) from accounts."""

from __future__ import annotations

from services.listings import store
from shared.contracts.accounts import USER_EVENTS
from shared.contracts.base import Event
from shared.db import Connection
from shared.service import Registry

registry = Registry()


@registry.consumer("hosts", *(e.subject for e in USER_EVENTS))
async def project_hosts(conn: Connection, event: Event) -> None:
    """Every user event carries the whole user snapshot; an older one changes nothing."""
    assert isinstance(event, USER_EVENTS)
    user = event.user
    await store.project_host(conn, user.user_id, user.display_name, user.verified, user.version)
