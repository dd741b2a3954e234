"""Countries and languages by the names people use, from ``pycountry``: the same lists the
profile's codes are validated against, so whatever a person picks by name is a code the
API accepts. The API itself takes codes only and never guesses one from a name: "Germany"
typed where a code belongs was once saved as "GE" (Georgia)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pycountry

from shared.places import fold


@dataclass(frozen=True)
class Named:
    """A code and the name shown for it."""

    code: str
    name: str


@cache
def countries() -> tuple[Named, ...]:
    """Every ISO 3166-1 country by its common name ("Taiwan", not "Taiwan, Province of China")."""
    found = [Named(c.alpha_2, getattr(c, "common_name", c.name)) for c in pycountry.countries]
    return tuple(sorted(found, key=lambda n: fold(n.name)))


@cache
def _languages() -> tuple[tuple[str, Named, bool], ...]:
    """(folded name, language, is ISO 639-1) of living languages (and macrolanguages), the
    639-1 code when there is one (what the profile stores), else the 639-3 code."""
    found = []
    for lang in pycountry.languages:
        if getattr(lang, "type", "") != "L":
            continue
        code = getattr(lang, "alpha_2", None) or lang.alpha_3
        # "Modern Greek (1453-)": the period is ISO's, not a name anyone types.
        name = lang.name.split(" (")[0]
        found.append((fold(name), Named(code, name), len(code) == 2))
    return tuple(found)


def language_names(codes: list[str]) -> list[Named]:
    """The named languages of these codes, in their order (unknown codes left out)."""
    by_code = {named.code: named for _, named, _ in _languages()}
    return [by_code[c] for c in codes if c in by_code]


def search_languages(query: str, limit: int = 10) -> list[Named]:
    """Languages for what someone types: an exact code first, then names starting with the
    words, then names containing a word starting so; common (ISO 639-1) ones first."""
    text = fold(query)
    if not text:
        return [named for _, named, common in _languages() if common][:limit]
    ranked: list[tuple[int, str, Named]] = []
    for folded, named, common in _languages():
        if named.code == text:
            rank = 0
        elif folded.startswith(text):
            rank = 1 if common else 3
        elif f" {text}" in f" {folded}":
            rank = 2 if common else 4
        else:
            continue
        ranked.append((rank, folded, named))
    ranked.sort(key=lambda item: item[:2])
    return [named for _, _, named in ranked[:limit]]


def warm() -> None:
    """Build the lists now, not on a user's first lookup."""
    countries()
    _languages()
