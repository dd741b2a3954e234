"""Reference lists shipped with the project: specialties (the names residency
applications use) and professional organizations, with the spellings people type.

``data/specialties.csv`` and ``data/organizations.csv`` (sources in ``data/README.md``)
are read once per process. Matching compares by the keys here, so "Cardiology",
"cardiology " and "Cardio" are one specialty, and "amwa" and "American Medical Women's
Association" one organization; anything not on a list keeps its own normalised spelling.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from importlib import resources
from typing import NamedTuple


class Specialty(NamedTuple):
    name: str
    level: str  # residency or fellowship
    aliases: tuple[str, ...]


class Organization(NamedTuple):
    code: str
    name: str
    aliases: tuple[str, ...]
    url: str


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("shared").joinpath(f"data/{name}").read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _aliases(value: str) -> tuple[str, ...]:
    return tuple(a for a in (v.strip() for v in value.split("|")) if a)


@functools.cache
def specialties() -> tuple[Specialty, ...]:
    return tuple(Specialty(r["name"], r["level"], _aliases(r["aliases"])) for r in _rows("specialties.csv"))


@functools.cache
def organizations() -> tuple[Organization, ...]:
    return tuple(
        Organization(r["code"], r["name"], _aliases(r["aliases"]), r["url"]) for r in _rows("organizations.csv")
    )


def normalise(text: str) -> str:
    """Lower case, ``_``/``-``/``/`` as spaces, ``&`` as "and", apostrophes dropped, one
    space between words."""
    key = text.lower().replace("\u2019", "'").replace("'", "")
    key = re.sub(r"[_\-/]", " ", key).replace("&", " and ")
    return " ".join(key.split())


@functools.cache
def _specialty_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for specialty in specialties():
        canonical = normalise(specialty.name)
        for spelling in (specialty.name, *specialty.aliases):
            index[normalise(spelling)] = canonical
    return index


@functools.cache
def _organization_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for org in organizations():
        for spelling in (org.code, org.name, *org.aliases):
            index[normalise(spelling)] = org.code.lower()
    return index


@functools.cache
def specialty_key(text: str) -> str:
    """The canonical key of a specialty (its list name, lower case), or the normalised
    text when it is not on the list."""
    key = normalise(text)
    return _specialty_index().get(key, key)


@functools.cache
def specialty_name(key: str) -> str | None:
    """The list's name ("Cardiology") of a canonical key; None off the list."""
    return {normalise(s.name): s.name for s in specialties()}.get(specialty_key(key))


@functools.cache
def organization_key(text: str) -> str:
    """An organization's code in lower case ("amwa"), or the normalised text."""
    key = normalise(text)
    return _organization_index().get(key, key)


def organization_code(key: str) -> str | None:
    """The initials ("AMWA") of a listed organization's key; None off the list."""
    code = organization_key(key)
    return code.upper() if code in {o.code.lower() for o in organizations()} else None
