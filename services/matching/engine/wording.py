"""Turning codes and numbers into the words used in match reasons.

Profiles store tags and codes (``cardiology``, ``NG``, ``yo``, ``amwa``); reasons
read as English ("host is a cardiologist", "you both studied in Nigeria", "you
both speak Yoruba", "you are both AMWA members").
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import pycountry

from shared import hospitals, reference

# Practitioner nouns, with their article, keyed by canonical specialty key
# (``shared.reference.specialty_key``: the reference list's name in lower case).
_PRACTITIONERS: dict[str, str] = {
    "allergy and immunology": "an allergist",
    "anesthesiology": "an anesthesiologist",
    "cardiology": "a cardiologist",
    "child neurology": "a child neurologist",
    "dermatology": "a dermatologist",
    "diagnostic radiology": "a radiologist",
    "emergency medicine": "an emergency physician",
    "endocrinology": "an endocrinologist",
    "family medicine": "a family physician",
    "gastroenterology": "a gastroenterologist",
    "general surgery": "a general surgeon",
    "geriatric medicine": "a geriatrician",
    "hematology and oncology": "a hematologist-oncologist",
    "infectious disease": "an infectious disease specialist",
    "internal medicine": "an internist",
    "interventional radiology": "an interventional radiologist",
    "neonatology": "a neonatologist",
    "nephrology": "a nephrologist",
    "neurological surgery": "a neurosurgeon",
    "neurology": "a neurologist",
    "obstetrics and gynecology": "an obstetrician-gynecologist",
    "ophthalmology": "an ophthalmologist",
    "orthopaedic surgery": "an orthopaedic surgeon",
    "otolaryngology": "an otolaryngologist",
    "pathology": "a pathologist",
    "pediatrics": "a pediatrician",
    "physical medicine and rehabilitation": "a physiatrist",
    "plastic surgery": "a plastic surgeon",
    "psychiatry": "a psychiatrist",
    "pulmonary and critical care": "a pulmonologist",
    "radiation oncology": "a radiation oncologist",
    "rheumatology": "a rheumatologist",
    "thoracic surgery": "a cardiothoracic surgeon",
    "urology": "a urologist",
    "vascular surgery": "a vascular surgeon",
}

# pycountry's names are ISO's ("Russian Federation"); a few read better otherwise.
_COUNTRY_NAMES = {
    "RU": "Russia",
    "CD": "the Democratic Republic of the Congo",
    "CG": "the Republic of the Congo",
    "KP": "North Korea",
    "MD": "Moldova",
    "SY": "Syria",
    "LA": "Laos",
    "PS": "Palestine",
    "FM": "Micronesia",
}
_COUNTRIES_WITH_THE = frozenset(
    {
        "US",
        "GB",
        "NL",
        "PH",
        "AE",
        "DO",
        "BS",
        "GM",
        "KY",
        "CF",
        "KM",
        "MV",
        "MH",
        "SB",
        "VG",
        "VI",
        "TC",
        "CZ",
    }
)
_LANGUAGE_NAMES = {
    "pa": "Punjabi",
    "pan": "Punjabi",
    "el": "Greek",
    "ell": "Greek",
    "sw": "Swahili",
    "swa": "Swahili",
    "fa": "Persian",
    "fas": "Persian",
}


def specialty_key(specialty: str) -> str:
    """A specialty's canonical key: "Cardiology", "cardiology " and "Cardio" are one
    (the shared reference list; off the list, the normalised text)."""
    return reference.specialty_key(specialty)


def practitioner(specialty: str) -> str | None:
    """Say "a cardiologist" for cardiology; None when we have no noun for the specialty."""
    return _PRACTITIONERS.get(specialty_key(specialty))


@lru_cache(maxsize=512)
def country_name(code: str) -> str:
    """Say "Nigeria" for NG, "the United States" for US; the code itself if unknown."""
    code = code.strip().upper()
    found = pycountry.countries.get(alpha_2=code)
    if found is None:
        return code
    name = _COUNTRY_NAMES.get(code) or getattr(found, "common_name", None) or found.name
    name = str(name).split(",")[0]
    return f"the {name}" if code in _COUNTRIES_WITH_THE else name


@lru_cache(maxsize=512)
def language_name(code: str) -> str:
    """Say "Yoruba" for yo (ISO 639-1) or yor (639-3); the code itself if unknown."""
    code = code.strip().lower()
    if code in _LANGUAGE_NAMES:
        return _LANGUAGE_NAMES[code]
    found = pycountry.languages.get(alpha_2=code) if len(code) == 2 else pycountry.languages.get(alpha_3=code)
    if found is None:
        return code
    name = getattr(found, "common_name", None) or found.name
    return str(name).split(";")[0].split("(")[0].strip()


def organization_key(tag: str) -> str:
    """An organization's comparable key: its code for a listed one ("amwa")."""
    return reference.organization_key(tag)


def organization_name(tag: str) -> str:
    """Listed organizations by their initials ("AMWA"); others as written."""
    return reference.organization_code(tag) or tag


# Hospital names in words: one rule for every service (listings names one too).
hospital_name = hospitals.display_name


def join_words(items: Iterable[str], conjunction: str = "and") -> str:
    """Join as "a", "a and b", "a, b and c" (or "a or b")."""
    words = list(items)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {conjunction} " + words[-1]


def money(dollars: float) -> str:
    return f"${round(dollars):,}"


def distance(km: float) -> str:
    """Metres under 1 km (to 50 m), one decimal under 10 km, whole km beyond."""
    if km < 0.95:
        return f"{max(50, round(km * 1000 / 50) * 50)} m"
    if km < 9.95:
        return f"{km:.1f} km"
    return f"{round(km)} km"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
