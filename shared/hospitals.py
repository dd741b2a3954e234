"""The hospital directory: reference data shipped with the project, read once per process.

``data/hospitals.csv`` is a copy of the team's seed file (4,186 US hospitals with
coordinates, from HIFLD and CMS public data; see the README). Every service that needs a
hospital (listings for search and reviews, matching for rotations and mentors) reads it
from here, never from another service.
"""

from __future__ import annotations

import csv
import functools
import io
from importlib import resources

from shared.contracts.hospitals import Hospital
from shared.errors import AppError


@functools.cache
def directory() -> tuple[Hospital, ...]:
    """Every hospital of the shipped file, in file order."""
    text = resources.files("shared").joinpath("data/hospitals.csv").read_text("utf-8")
    return tuple(
        # The file is ours and checked by its tests: no validation of 4,186 rows per process.
        Hospital.model_construct(
            id=r["id"],
            name=r["name"],
            city=r["city"],
            state=r["state"],
            zip=r["zip"],
            latitude=float(r["latitude"]),
            longitude=float(r["longitude"]),
            beds=int(r["beds"]) if r["beds"] else None,
            teaching={"true": True, "false": False}.get(r["teaching"]),
        )
        for r in csv.DictReader(io.StringIO(text))
    )


@functools.cache
def _by_id() -> dict[str, Hospital]:
    return {h.id: h for h in directory()}


def lookup(hospital_id: str) -> Hospital:
    """A hospital by id, from memory (the data never changes at run time); 404 if unknown."""
    try:
        return _by_id()[hospital_id]
    except KeyError:
        raise AppError("not_found", f"hospital {hospital_id!r} not found") from None
