"""Operator command: create (or promote to) an admin account.

``python -m services.accounts.admin EMAIL PASSWORD [DISPLAY_NAME]``
"""

from __future__ import annotations

import asyncio
import sys
import uuid

import asyncpg

from services.accounts import domain
from shared.db import migrate
from shared.settings import load_settings


async def ensure_admin(dsn: str, email: str, password: str, display_name: str = "Operator") -> uuid.UUID:
    """Create the admin if missing; an existing account with this email becomes admin."""
    await migrate(dsn, "accounts", "services.accounts.migrations")
    conn = await asyncpg.connect(dsn, server_settings={"search_path": "accounts"})
    try:
        existing = await conn.fetchval("SELECT id FROM users WHERE lower(email) = lower($1)", email)
        if existing:
            await conn.execute("UPDATE users SET role = 'admin' WHERE id = $1", existing)
            return existing  # type: ignore[no-any-return]
        user_id = uuid.uuid4()
        async with conn.transaction():
            await conn.execute(
                # An operator's own address: confirmed by whoever runs this command.
                "INSERT INTO users(id, email, password_hash, display_name, role, email_verified_at)"
                " VALUES ($1, lower($2), $3, $4, 'admin', now())",
                user_id,
                email,
                domain.hash_password(password),
                display_name,
            )
            await conn.execute("INSERT INTO profiles(user_id) VALUES ($1)", user_id)
        return user_id
    finally:
        await conn.close()


def main() -> None:
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        raise SystemExit(2)
    settings = load_settings()
    user_id = asyncio.run(ensure_admin(settings.database_url, *sys.argv[1:]))
    print(f"admin {sys.argv[1]} ready ({user_id})")


if __name__ == "__main__":
    main()
