"""End-to-end fixtures beyond the session's one system (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from services.runner import Stack
from tests.api import Api, User
from tests.e2e.payments import make_admin, payments_pool


@pytest.fixture
async def admin(api: Api, stack: Stack) -> User:
    """An operator of the session's system."""
    return await make_admin(api, stack)


@pytest.fixture
async def payments_db(stack: Stack) -> AsyncIterator[asyncpg.Pool]:
    """A pool on the payments schema, for what a test reads behind the API."""
    async with payments_pool(stack) as pool:
        yield pool
