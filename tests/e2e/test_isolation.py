"""Each service owns its schema under its own Postgres role."""

from __future__ import annotations

import asyncpg
import pytest

from services.runner import SERVICES_WITH_SCHEMA, Stack


async def test_a_service_role_cannot_read_another_services_tables(stack: Stack) -> None:
    """listings' role is refused accounts' users table; accounts' own role reads it, and
    each schema belongs to its service's role."""
    assert stack.roles_enabled
    listings = await asyncpg.connect(stack.service_url("listings"))
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await listings.fetch("SELECT email FROM accounts.users LIMIT 1")
        assert await listings.fetchval("SELECT count(*) FROM listings.hospitals") > 4000
    finally:
        await listings.close()
    accounts = await asyncpg.connect(stack.service_url("accounts"))
    try:
        # Its own role reads its own table (a refusal would raise here).
        await accounts.fetch("SELECT email FROM accounts.users LIMIT 1")
        owners = await accounts.fetch(
            "SELECT nspname, pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = ANY($1)",
            list(SERVICES_WITH_SCHEMA),
        )
        assert {r["nspname"]: r["owner"] for r in owners} == {s: s for s in SERVICES_WITH_SCHEMA}
    finally:
        await accounts.close()
