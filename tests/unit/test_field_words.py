"""A value that fails a field's pattern is refused in words a person can act on: a user walk
read "Not in the expected format." for an NPI of "123" and for a video link with http://,
which said nothing of what the field takes. Every pattern a person types into is worded."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

import shared.contracts
from shared.contracts.accounts import SignupRequest, VerificationRequest
from shared.contracts.base import PATTERN_MESSAGES, worded
from shared.contracts.hospitals import HospitalSearch
from shared.contracts.listings import NEAR_PATTERN
from shared.contracts.mentoring import MeetingPropose, SettingsUpdate
from shared.errors import validation_details

ID = "00000000-0000-4000-8000-000000000001"


def refusal(model: type[BaseModel], body: dict[str, Any]) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate_json(json.dumps(body))
    return validation_details(caught.value.errors(), PATTERN_MESSAGES)


@pytest.mark.parametrize(
    ("model", "body", "field", "words"),
    [
        (VerificationRequest, {"npi": "123"}, "npi", "An NPI is 10 digits."),
        (
            MeetingPropose,
            {"mentorship_id": ID, "options": ["2030-01-01T10:00:00Z"], "video_url": "http://meet.example.org/x"},
            "video_url",
            "A link that starts with https://, without spaces.",
        ),
        (HospitalSearch, {"state": "Mass"}, "state", "A state's two-letter code, such as MA."),
        (SettingsUpdate, {"time_zone": "New York"}, "time_zone", "A time zone such as America/New_York."),
    ],
)
def test_a_value_off_its_pattern_is_refused_in_words(
    model: type[BaseModel], body: dict[str, Any], field: str, words: str
) -> None:
    assert {"field": field, "message": words} in refusal(model, body)


def _patterns(schema: Any) -> set[str]:
    """Every ``pattern`` in a JSON schema, however deep."""
    found: set[str] = set()
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "pattern" and isinstance(value, str):
                found.add(value)
            else:
                found |= _patterns(value)
    elif isinstance(schema, list):
        for item in schema:
            found |= _patterns(item)
    return found


# Patterns of values a program sends, never a person: ids and keys the client generates or
# gets from a library (a Stripe.js payment method, an upload's key, a message's client id,
# the map's "lat,lon", a page's cursor, a hospital's directory id). Their refusal is a
# client's bug, not a person's typing.
MACHINE_PATTERNS = {
    r"^[A-Za-z0-9_-]*$",
    r"^[a-z0-9]+(-[a-z0-9]+)*$",
    r"^tmp/[0-9a-f]{32}$",
    r"^[A-Za-z0-9._:-]+$",
    r"^(pm|card)_[A-Za-z0-9]+$",
    r"^[A-Za-z]{2,3}$",
    NEAR_PATTERN,
}


def test_every_pattern_a_person_types_into_is_worded() -> None:
    found: set[str] = set()
    for info in pkgutil.iter_modules(shared.contracts.__path__):
        module = importlib.import_module(f"shared.contracts.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseModel) and cls.__module__ == module.__name__:
                try:
                    found |= _patterns(cls.model_json_schema())
                except Exception:  # a generic base without a schema of its own
                    continue
    assert {p for p in found if p not in PATTERN_MESSAGES and p not in MACHINE_PATTERNS} == set()
    assert found & set(PATTERN_MESSAGES)  # the walk found the worded ones too


def test_one_pattern_cannot_be_worded_two_ways() -> None:
    worded(r"^[0-9]{10}$", "an NPI is 10 digits")  # the same words again: fine
    with pytest.raises(ValueError, match="worded twice"):
        worded(r"^[0-9]{10}$", "ten digits")


def test_an_empty_value_is_required_not_a_lesson_on_the_pattern() -> None:
    """An empty address at sign-up read a paragraph on what addresses may hold, where the
    name beside it said "Required."; a wrong NPI check digit is the NPI field's own error."""
    body = {"email": "", "password": "a-long-password", "display_name": "A", "role": "student"}
    assert refusal(SignupRequest, body) == [{"field": "email", "message": "Required."}]
    bad = refusal(SignupRequest, body | {"email": "no-at-sign"})
    assert bad[0]["field"] == "email" and bad[0]["message"].startswith("Enter an address like name@example.org")
    [npi] = refusal(VerificationRequest, {"npi": "1234567890"})
    assert npi == {
        "field": "npi",
        "message": "This is not a valid NPI: its last digit does not match the others. Copy it again.",
    }


def test_an_empty_list_that_needs_one_entry_is_required() -> None:
    """A meeting proposed with no time read "Give at least 1." beside its first time."""
    assert refusal(MeetingPropose, {"mentorship_id": ID, "options": []}) == [
        {"field": "options", "message": "Required."}
    ]


@pytest.mark.parametrize(
    ("password", "words"),
    [
        (" " * 10, "A password needs more than spaces."),
        ("aaaaaaaaaa", "Use at least 4 different characters: a repeated one is guessed first."),
        ("abababab12", None),
        ("1234567890", "This password is among the first any guesser tries: choose another."),
        ("Password123", "This password is among the first any guesser tries: choose another."),
        ("correct-horse-battery", None),
    ],
)
def test_a_new_password_holds_something(password: str, words: str | None) -> None:
    """Ten spaces, or "aaaaaaaaaa", were taken as a password at sign-up and reset."""
    body = {"email": "new@example.org", "password": password, "display_name": "A", "role": "student"}
    if words is None:
        SignupRequest.model_validate_json(json.dumps(body))
    else:
        assert refusal(SignupRequest, body) == [{"field": "password", "message": words}]


def test_a_float_fields_bounds_read_as_people_write_them() -> None:
    """The search's radius said "Must be 500.0 or less."; a bound with a fraction keeps it."""
    from shared.contracts.listings import ListingSearch

    [too_far] = refusal(ListingSearch, {"hospital_id": "x", "radius_km": 900})
    assert too_far == {"field": "radius_km", "message": "Must be 500 or less."}
    [too_near] = refusal(ListingSearch, {"hospital_id": "x", "radius_km": 0.01})
    assert too_near == {"field": "radius_km", "message": "Must be 0.1 or more."}
