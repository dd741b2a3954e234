"""Per-region epochs of the room projections (``0012_region_epochs.sql``).

A rotation's room ranking reads only the listings within ``max_distance_km`` of its
hospital, their stays and their hosts' profiles (and the student's own profile, whose
version its key carries). So a change is counted in the cell of the listing it touches
(a grid of ``CELL_DEG`` degrees), and a ranking holds while the epochs of the cells its
reach overlaps have not moved: a change in Boston leaves Baltimore's rankings alone.

What moves which cells, always in the changing transaction:

* a listing's snapshot: the cell it is in and the one it was in (it may have moved);
* a booking's: its listing's cell;
* a profile's: the cells of the listings that user hosts (their host-affinity part);
* a rebuild: ``EVERYWHERE``, a cell every ranking's key reads.

A booking or a profile can be applied while its listing is being inserted by another
transaction, unseen. Both sides therefore take the listing's and the host's lock
(``lock``) first: whichever commits second sees the other's row and counts the change.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable

from shared import blocks
from shared.db import Connection, Lock, xact_lock

from . import DB

CELL_DEG = 0.5
_COLUMNS = round(360 / CELL_DEG)
EVERYWHERE = -1


def cell(lat: float, lon: float) -> int:
    """The cell of a point: row (from the south pole) x 720 + column (from -180)."""
    row = min(math.floor((lat + 90) / CELL_DEG), round(180 / CELL_DEG) - 1)
    return row * _COLUMNS + math.floor(((lon + 180) % 360) / CELL_DEG) % _COLUMNS


def cells_within(lat: float, lon: float, km: float, earth_radius_km: float) -> list[int]:
    """Every cell a point within ``km`` of (lat, lon) can be in: the cells of the
    spherical cap's bounding box (with 5 % to spare), plus ``EVERYWHERE``."""
    reach = min(math.pi, 1.05 * km / earth_radius_km)  # radians of arc
    south, north = max(-90.0, lat - math.degrees(reach)), min(90.0, lat + math.degrees(reach))
    rows = range(math.floor((south + 90) / CELL_DEG), min(math.floor((north + 90) / CELL_DEG), 359) + 1)
    widest = math.cos(math.radians(lat))
    if north >= 89.99 or south <= -89.99 or math.sin(reach) >= widest:
        columns: Iterable[int] = range(_COLUMNS)  # the cap holds a pole, or wraps round it
    else:
        span = math.degrees(math.asin(math.sin(reach) / widest))
        first = math.floor(((lon - span + 180) % 360) / CELL_DEG)
        count = math.floor((2 * span) / CELL_DEG) + 2
        columns = {(first + k) % _COLUMNS for k in range(min(count, _COLUMNS))}
    return sorted({r * _COLUMNS + c for r in rows for c in columns} | {EVERYWHERE})


async def lock(conn: Connection, *, listing_id: uuid.UUID | None = None, host_id: uuid.UUID | None = None) -> None:
    """Hold the listing's, then the host's, lock until commit (always in this order)."""
    if listing_id is not None:
        await xact_lock(conn, Lock.MATCHING_LISTING, listing_id)
    if host_id is not None:
        await xact_lock(conn, Lock.MATCHING_HOST, host_id)


async def bump(conn: Connection, cells: Iterable[int | None]) -> None:
    """Count a change in these cells (None: no cell); call it last in the transaction,
    after the change. In ascending order, so two transactions cannot deadlock on them."""
    ordered = sorted({c for c in cells if c is not None})
    if ordered:
        await conn.execute(
            "INSERT INTO region_epochs(cell, epoch) SELECT c, 1 FROM unnest($1::int[]) c ORDER BY c"
            " ON CONFLICT (cell) DO UPDATE SET epoch = region_epochs.epoch + 1",
            ordered,
        )


async def listing_cell(conn: Connection, listing_id: uuid.UUID) -> int | None:
    row = await conn.fetchrow("SELECT latitude, longitude FROM listings WHERE listing_id = $1", listing_id)
    return cell(row["latitude"], row["longitude"]) if row is not None else None


async def host_cells(conn: Connection, host_id: uuid.UUID) -> set[int]:
    rows = await conn.fetch("SELECT DISTINCT latitude, longitude FROM listings WHERE host_id = $1", host_id)
    return {cell(r["latitude"], r["longitude"]) for r in rows}


async def ranking_key(db: DB, cells: list[int], student_id: uuid.UUID) -> tuple[int, int | None, bytes]:
    """(the sum of these cells' epochs, the student's profile version) and, beside the key,
    the listings hosted by someone the student blocked or was blocked by (their ids' 16
    bytes each, in order): epochs only grow, so the sum moves whenever one of them does; the
    hidden listings are read at every request and filter the kept ranking
    (``ranking.Ranking.without``), so a block moves no epoch and drops no ranking."""
    row = await db.fetchrow(
        "SELECT (SELECT coalesce(sum(epoch), 0) FROM region_epochs WHERE cell = ANY($1::int[])) AS epochs,"
        " (SELECT version FROM profiles WHERE user_id = $2) AS profile,"
        " (SELECT string_agg(uuid_send(listing_id), ''::bytea ORDER BY listing_id) FROM listings"
        f"  WHERE host_id IN {blocks.others_sql('$2')}) AS hidden",
        cells,
        student_id,
    )
    assert row is not None
    return int(row["epochs"]), row["profile"], row["hidden"] or b""
