"""A rotation's room candidates as columns, in one round trip (``engine/room_columns.py``).

The listings within reach, their stays over the dates, their hosts' profile fields and
the student's come back as ONE row of arrays: numbers as the concatenation of their
binary forms (``float8send``, ``int4send``, ``uuid_send``), which numpy reads in place,
so no Python object is made per candidate or per host; the tags (amenities, specialties,
languages, organizations) as one JSON array of all of them per kind, with each row's
count beside it. Rows of different aggregates are matched by id, never by position.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray

from services.matching.engine.room_columns import HostColumns, RoomColumns, Tags
from shared import geo

from . import DB, PROFILE_FIELDS

_TAGS = ("specialties", "languages", "organizations")


def _json_list(values: str) -> str:
    """The elements of many JSON arrays (``values``) as one JSON array's text: each
    array's text without its brackets, joined (an empty one left out); its rows go by
    each array's length, counted in the same aggregate."""
    return f"'[' || coalesce(string_agg(nullif(btrim(({values})::text, '[]'), ''), ','), '') || ']'"


def _host_tags(key: str) -> str:
    values = f"coalesce(nullif(data->'{key}', 'null'), '[]')"
    return (
        f"string_agg(int4send(jsonb_array_length({values})), ''::bytea) AS {key}_counts,"
        f" {_json_list(values)} AS {key}_tags"
    )


CANDIDATES = f"""
WITH c AS MATERIALIZED (
    SELECT l.listing_id, l.host_id, l.latitude, l.longitude, l.monthly_rent, l.room_type, l.amenities,
           l.available_from, l.available_to, l.min_stay_nights, l.review_average, l.review_count, l.blocked
    FROM listings l
    WHERE l.status = 'active'
      AND earth_box((SELECT ll_to_earth($1, $2)), $3) @> l.position
      AND (l.position <-> (SELECT ll_to_earth($1, $2))) <= $4
      AND l.available_from < $6 AND l.available_to > $5
      AND l.host_id <> $7
)
SELECT * FROM
    (SELECT count(*) AS n,
            string_agg(uuid_send(listing_id), ''::bytea) AS ids,
            string_agg(uuid_send(host_id), ''::bytea) AS host_ids,
            string_agg(float8send(latitude), ''::bytea) AS lat,
            string_agg(float8send(longitude), ''::bytea) AS lon,
            string_agg(int4send(monthly_rent), ''::bytea) AS rent,
            array_agg(room_type) AS room_type,
            string_agg(int4send(available_from - $5::date), ''::bytea) AS opens,
            string_agg(int4send(available_to - $5::date), ''::bytea) AS closes,
            string_agg(int4send(min_stay_nights), ''::bytea) AS min_stay,
            string_agg(float8send(coalesce(review_average, 'NaN')), ''::bytea) AS review_average,
            string_agg(int4send(review_count), ''::bytea) AS review_count,
            string_agg(int4send(cardinality(amenities)), ''::bytea) AS amenity_counts,
            {_json_list("to_json(amenities)")} AS amenities
     FROM c) listing,
    (SELECT string_agg(uuid_send(b.listing_id), ''::bytea) AS stay_ids,
            string_agg(int4send(lower(b.stay) - $5::date), ''::bytea) AS stay_in,
            string_agg(int4send(upper(b.stay) - $5::date), ''::bytea) AS stay_out
     FROM (SELECT listing_id, stay FROM bookings
           WHERE listing_id IN (SELECT listing_id FROM c) AND status IN ('accepted', 'confirmed', 'completed')
             AND stay && daterange($5, $6)
           -- The nights hosts blocked are taken as a stay's are.
           UNION ALL SELECT c.listing_id, n FROM c, unnest(c.blocked) n WHERE n && daterange($5, $6)) b) stay,
    (SELECT string_agg(uuid_send(user_id), ''::bytea) AS profile_ids,
            array_agg(data->>'medical_school') AS host_school,
            array_agg(data->>'school_country') AS host_country,
            array_agg(coalesce((data->>'open_to_mentoring')::boolean, false)) AS host_mentoring,
            {", ".join(map(_host_tags, _TAGS))}
     FROM profiles WHERE user_id IN (SELECT host_id FROM c)) host
    LEFT JOIN LATERAL (SELECT true AS student_known, {PROFILE_FIELDS} FROM profiles WHERE user_id = $7) student
    ON true
"""

STUDENT_FIELDS = (
    *("medical_school", "school_country", "graduation_year", "profession", "open_to_mentoring"),
    *("mentoring_capacity", "languages", "specialties", "hobbies", "organizations", "hospital_ids"),
)


@dataclass(frozen=True)
class Candidates:
    """The candidates' columns, their ids (n x 2 big-endian halves, as ``Ranking`` keeps
    them) and the student's profile fields (None: no profile seen yet)."""

    columns: RoomColumns
    ids: NDArray[np.uint64]
    student: dict[str, Any] | None


def _ids(raw: bytes | None) -> NDArray[np.bytes_]:
    return np.frombuffer(raw or b"", dtype="S16")


def _numbers(raw: bytes | None, dtype: str) -> NDArray[Any]:
    return np.frombuffer(raw or b"", dtype=dtype).astype(dtype[1:])


def _rows_of(keys: NDArray[np.bytes_], found: NDArray[np.bytes_]) -> NDArray[np.int64]:
    """Each of ``found``'s position in ``keys`` (every one of them is there)."""
    order = np.argsort(keys, kind="stable")
    return order[np.searchsorted(keys[order], found)].astype(np.int64)


def _tags(rows: NDArray[np.int64], counts: bytes | None, flat: str | None) -> Tags:
    """Tags whose ``counts`` (one per row of ``rows``) came with them as one JSON array."""
    tags: list[str] = json.loads(flat or "[]")
    return Tags(np.repeat(rows, _numbers(counts, ">i4")), tags)


async def room_candidates(
    db: DB, lat: float, lon: float, radius_km: float, start: date, end: date, student_id: uuid.UUID
) -> Candidates:
    """Active listings within the radius whose window overlaps the dates, not the
    student's own (``listings_near``'s rule), as columns with their stays and hosts."""
    radius_m = radius_km * 1000
    row = await db.fetchrow(CANDIDATES, lat, lon, radius_m, geo.chord_m(radius_m), start, end, student_id)
    assert row is not None
    ids = _ids(row["ids"])
    host_ids, hosts = _ids(row["host_ids"]), np.empty(0, "S16")
    host_rows = np.empty(0, np.int64)
    if len(host_ids):
        hosts, inverse = np.unique(host_ids, return_inverse=True)
        host_rows = inverse.astype(np.int64)
    h = len(hosts)
    at = _rows_of(hosts, _ids(row["profile_ids"]))
    school: NDArray[Any] = np.full(h, None, dtype=object)
    country: NDArray[Any] = np.full(h, None, dtype=object)
    mentoring = np.zeros(h, bool)
    if len(at):
        school[at], country[at], mentoring[at] = row["host_school"], row["host_country"], row["host_mentoring"]

    def tags(key: str) -> Tags:
        return _tags(at, row[f"{key}_counts"], row[f"{key}_tags"])

    columns = RoomColumns(
        lat=_numbers(row["lat"], ">f8"),
        lon=_numbers(row["lon"], ">f8"),
        monthly_rent=_numbers(row["rent"], ">i4").astype(np.int64),
        room_type=list(row["room_type"] or []),
        opens=_numbers(row["opens"], ">i4").astype(np.int64),
        closes=_numbers(row["closes"], ">i4").astype(np.int64),
        min_stay_nights=_numbers(row["min_stay"], ">i4").astype(np.int64),
        review_average=_numbers(row["review_average"], ">f8"),
        review_count=_numbers(row["review_count"], ">i4").astype(np.int64),
        host=host_rows,
        own=np.zeros(len(ids), bool),  # the query leaves the student's own listings out
        amenities=_tags(np.arange(len(ids)), row["amenity_counts"], row["amenities"]),
        stays=(
            _rows_of(ids, _ids(row["stay_ids"])),
            _numbers(row["stay_in"], ">i4").astype(np.int64),
            _numbers(row["stay_out"], ">i4").astype(np.int64),
        ),
        hosts=HostColumns(
            school=school.tolist(),
            country=country.tolist(),
            open_to_mentoring=mentoring,
            specialties=tags("specialties"),
            languages=tags("languages"),
            organizations=tags("organizations"),
        ),
    )
    halves = np.frombuffer(row["ids"] or b"", dtype=">u8").reshape(-1, 2).astype(np.uint64)
    student = {k: row[k] for k in STUDENT_FIELDS} if row["student_known"] else None
    return Candidates(columns, halves, student)
