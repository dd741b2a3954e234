"""Operator command: create (or promote to) an admin account.

``python -m services.accounts.admin EMAIL PASSWORD [DISPLAY_NAME]``
"""

from __future__ import annotations

import asyncio
import sys
import uuid

from services.accounts import domain, store, views
from shared.contracts.accounts import ProfileUpdated, UserRegistered
from shared.db import create_pool, migrate
from shared.outbox import add
from shared.settings import load_settings


async def ensure_admin(dsn: str, email: str, password: str, display_name: str = "Operator") -> uuid.UUID:
    """Create the admin if missing; an existing account with this email becomes admin.

    The other services hear of the operator as of any user, through the outbox: a new one
    by the ``UserRegistered`` a signup sends, a promoted one by ``ProfileUpdated`` with the
    new role. Without it messaging never knew operators' names ("resolved by another
    operator"), and a promoted professional stayed one in other services' projections."""
    await migrate(dsn, "accounts", "services.accounts.migrations")
    password_hash = domain.hash_password(password)
    pool = await create_pool(dsn, "accounts", size=1, app="wardmate-admin")
    try:
        async with pool.acquire() as conn, conn.transaction():
            found = await conn.fetchrow("SELECT id, role FROM users WHERE lower(email) = lower($1) FOR UPDATE", email)
            if found:
                if found["role"] != "admin":
                    await conn.execute("UPDATE users SET role = 'admin', updated_at = now() WHERE id = $1", found["id"])
                    await add(conn, ProfileUpdated(user=views.user_data(await store.snapshot(conn, found["id"]))))
                return found["id"]  # type: ignore[no-any-return]
            row = await store.insert_user(conn, uuid.uuid4(), email.lower(), password_hash, display_name, "admin")
            # An operator's own address: confirmed by whoever runs this command.
            await conn.execute("UPDATE users SET email_verified_at = now() WHERE id = $1", row["id"])
            await add(conn, UserRegistered(user=views.user_data(await store.snapshot(conn, row["id"]))))
            return row["id"]  # type: ignore[no-any-return]
    finally:
        await pool.close()


def main() -> None:
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        raise SystemExit(2)
    settings = load_settings()
    user_id = asyncio.run(ensure_admin(settings.database_url, *sys.argv[1:]))
    print(f"admin {sys.argv[1]} ready ({user_id})")


if __name__ == "__main__":
    main()
