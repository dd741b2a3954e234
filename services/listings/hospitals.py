"""The hospital directory shipped as package data (a copy of the team's hospitals.csv)."""

from __future__ import annotations

import csv
import functools
import io
import logging
from importlib import resources
from typing import Any, NamedTuple

import asyncpg

from services.listings import store
from shared.errors import AppError

log = logging.getLogger(__name__)


class HospitalRef(NamedTuple):
    id: str
    name: str
    latitude: float
    longitude: float


@functools.cache
def _by_id() -> dict[str, HospitalRef]:
    return {r[0]: HospitalRef(r[0], r[1], r[5], r[6]) for r in read_directory()}


def lookup(hospital_id: str) -> HospitalRef:
    """A hospital of the shipped directory, from memory: the data never changes at run time,
    and a search would otherwise pay a database round trip for it."""
    try:
        return _by_id()[hospital_id]
    except KeyError:
        raise AppError("not_found", f"hospital {hospital_id!r} not found") from None


def read_directory() -> list[tuple[Any, ...]]:
    """Rows of ``data/hospitals.csv`` as (id, name, city, state, zip, lat, lon, beds, teaching)."""
    text = resources.files("services.listings").joinpath("data/hospitals.csv").read_text("utf-8")
    rows = []
    for r in csv.DictReader(io.StringIO(text)):
        rows.append(
            (
                r["id"],
                r["name"],
                r["city"],
                r["state"],
                r["zip"],
                float(r["latitude"]),
                float(r["longitude"]),
                int(r["beds"]) if r["beds"] else None,
                {"true": True, "false": False}.get(r["teaching"]),
            )
        )
    return rows


async def ensure_directory(pool: asyncpg.Pool) -> int:
    """Load the directory when the table is empty; return the number of hospitals."""
    count = await store.hospital_count(pool)
    if count == 0:
        rows = read_directory()
        async with pool.acquire() as conn, conn.transaction():
            await store.load_hospitals(conn, rows)
        count = len(rows)
        log.info("hospital directory loaded", extra={"fields": {"hospitals": count}})
    return count
