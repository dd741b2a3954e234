"""A rotation's room candidates as columns, in one round trip (``engine/room_columns.py``).

The listings within reach, their stays over the dates, their hosts' profile fields and
the student's come back as ONE row of arrays: numbers as the concatenation of their
binary forms (``float8send``, ``int4send``, ``uuid_send``), which numpy reads in place,
so no Python object is made per candidate or per host; text as text arrays. Rows of
different aggregates are matched by id, never by position across aggregates.
"""

from __future__ import annotations

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


def _tag_rows(key: str) -> str:
    return (
        f"(SELECT string_agg(uuid_send(user_id), ''::bytea) AS {key}_ids, array_agg(t) AS {key}_tags"
        f" FROM hp, jsonb_array_elements_text(coalesce(nullif(hp.data->'{key}', 'null'), '[]')) t) {key}"
    )


CANDIDATES = f"""
WITH c AS MATERIALIZED (
    SELECT l.listing_id, l.host_id, l.latitude, l.longitude, l.monthly_rent, l.room_type, l.amenities,
           l.available_from, l.available_to, l.min_stay_nights, l.review_average, l.review_count
    FROM listings l
    WHERE l.status = 'active'
      AND earth_box((SELECT ll_to_earth($1, $2)), $3) @> l.position
      AND (l.position <-> (SELECT ll_to_earth($1, $2))) <= $4
      AND l.available_from < $6 AND l.available_to > $5
      AND l.host_id <> $7
),
hp AS MATERIALIZED (SELECT user_id, data FROM profiles WHERE user_id IN (SELECT host_id FROM c))
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
            string_agg(int4send(review_count), ''::bytea) AS review_count
     FROM c) listing,
    (SELECT string_agg(uuid_send(c.listing_id), ''::bytea) AS amenity_ids, array_agg(a) AS amenities
     FROM c, unnest(c.amenities) a) amenity,
    (SELECT string_agg(uuid_send(b.listing_id), ''::bytea) AS stay_ids,
            string_agg(int4send(lower(b.stay) - $5::date), ''::bytea) AS stay_in,
            string_agg(int4send(upper(b.stay) - $5::date), ''::bytea) AS stay_out
     FROM bookings b
     WHERE b.listing_id IN (SELECT listing_id FROM c) AND b.status IN ('accepted', 'confirmed', 'completed')
       AND b.stay && daterange($5, $6)) stay,
    (SELECT string_agg(uuid_send(user_id), ''::bytea) AS profile_ids,
            array_agg(data->>'medical_school') AS host_school,
            array_agg(data->>'school_country') AS host_country,
            array_agg(coalesce((data->>'open_to_mentoring')::boolean, false)) AS host_mentoring
     FROM hp) host,
    {", ".join(map(_tag_rows, _TAGS))}
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
        return Tags(_rows_of(hosts, _ids(row[f"{key}_ids"])), list(row[f"{key}_tags"] or []))

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
        amenities=Tags(_rows_of(ids, _ids(row["amenity_ids"])), list(row["amenities"] or [])),
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
