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


@functools.cache
def _aliases() -> tuple[tuple[str, str], ...]:
    """(folded alias, hospital id) from data/hospital_aliases.csv (see data/README.md)."""
    text = resources.files("shared").joinpath("data/hospital_aliases.csv").read_text("utf-8")
    return tuple(
        (" ".join(r["alias"].lower().replace("-", " ").split()), r["hospital_id"])
        for r in csv.DictReader(io.StringIO(text))
    )


def by_alias(query: str) -> list[Hospital]:
    """Hospitals whose common name or abbreviation starts with what is typed ("MGH",
    "mass gen"), exact names first; none for fewer than two letters."""
    text = " ".join(query.lower().replace("-", " ").split())
    if len(text) < 2:
        return []
    exact = [h for alias, h in _aliases() if alias == text]
    starts = [h for alias, h in _aliases() if alias != text and alias.startswith(text)]
    found: list[Hospital] = []
    for hospital_id in exact + starts:
        hospital = _by_id().get(hospital_id)
        if hospital is not None and hospital not in found:
            found.append(hospital)
    return found


_SMALL_WORDS = frozenset({"of", "and", "the", "at", "in", "for", "on", "a", "de", "la", "el", "del"})
# Words of one or two letters that are words, not initials ("DR P PHILLIPS", "ST JOSEPH'S").
_SHORT_WORDS = frozenset({"dr", "st"})


def display_name(name: str) -> str:
    """Hospital registries shout ("JOHNS HOPKINS HOSPITAL"); reasons should not. Small words
    in lower case, but where the name or a part of it starts ("SCRIPPS ... - LA JOLLA");
    other words of one or two letters are initials and stay ("BIRMINGHAM VA", "UF HEALTH").
    The web client's ``titleCase`` (static/ui.js) follows the same rules."""
    if not name.isupper():
        return name
    words = name.split()
    cased = []
    for i, word in enumerate(words):
        lower = word.lower()
        starts = i == 0 or words[i - 1] == "-"
        if lower in _SMALL_WORDS and not starts:
            cased.append(lower)
        elif len(word) <= 2 and lower not in _SMALL_WORDS and lower not in _SHORT_WORDS:
            cased.append(word)
        else:
            cased.append(word[:1] + word[1:].lower())
    return " ".join(cased)
