"""Display names: one line of visible text that cannot pass for Wardmate's staff or its
badge, refused with a field error at signup and on a profile change; names already
stored are read back whatever they hold."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from shared.contracts.accounts import ProfileFields, SignupRequest, User, UserData
from shared.contracts.base import PATTERN_MESSAGES
from shared.errors import validation_details

SIGNUP = {"email": "ada@test.wardmate", "password": "a-long-password", "role": "student"}

# Real names from many places and scripts: none may ever be refused. "Ward Mate" and
# "Verity" are close to the reserved words and must still pass.
REAL_NAMES = [
    "Ada Lovelace",
    "Dr. Amara Okafor",
    "Chidi Nwankwo-Eze",
    "Seán Ó Briain",
    "D'Angelo O'Neil",
    "Zoë Åsa Łukasz",
    "Nguyễn Văn An",
    "José María de la Cruz",
    "Ólafur Ragnar Grímsson",
    "李小龍",
    "محمد بن سلمان",
    "דוד בן-גוריון",
    "प्रिया शर्मा",
    "ศรีสุข",
    "Мария Иванова",
    "Κωνσταντίνος",
    "محمد\u200cرضا",  # Persian: a zero-width non-joiner inside a real name
    "Ward Mate",
    "Verity Ward",
    "Dr. Mateo Wardman",
    "Ana 🌸",
    "A",
    # Close to the reserved words once lookalikes read as Latin letters, and still names.
    "Vladimir Wardlaw",
    "Lili Vervaet",
    "Bernard Mateus",
    "Ирина Вард",
]


def refusal(model: type[BaseModel], body: dict[str, Any]) -> list[dict[str, Any]]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate_json(json.dumps(body))
    return validation_details(caught.value.errors(), PATTERN_MESSAGES)


@pytest.mark.parametrize("name", REAL_NAMES)
def test_real_names_pass_at_signup_and_on_the_profile(name: str) -> None:
    assert SignupRequest.model_validate_json(json.dumps(SIGNUP | {"display_name": name})).display_name == name
    assert ProfileFields.model_validate_json(json.dumps({"display_name": name})).display_name == name


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("line1\nline2", "one line"),
        ("Evil\r\nBcc: attacker@example.org", "one line"),
        ("tab\there", "control"),
        ("bell\x07", "control"),
        ("del\x7f", "control"),
        ("next\x85line", "one line"),  # C1 NEL
        ("c1\x9bcontrol", "control"),
        ("para\u2029graph", "one line"),
        ("line\u2028sep", "one line"),
        ("a\u202egnp.exe", "text-direction"),  # right-to-left override
        ("a\u202aembedding", "text-direction"),
        ("a\u2066isolate\u2069", "text-direction"),
        ("a\u2068first strong", "text-direction"),
        ("\u200b", "invisible"),
        ("\u200b\u200c\u200d\u2060\ufeff", "invisible"),
        ("\u3164", "invisible"),  # a Hangul filler: a letter that shows nothing
        ("\u2800\u2800", "invisible"),
        ("\u00ad", "invisible"),
        ("   ", "character other than a space"),
        ("Dr. Amara Okafor ✓ Verified", "✓"),
        ("Amara ✔", "✔"),
        ("☑ Amara", "☑"),
        ("✅ Amara", "✅"),
        ("Amara (verified)", "verified"),
        ("VERIFIED host", "verified"),
        ("Vérified Host", "verified"),
        ("Wardmate Support", "wardmate"),
        ("wardmate", "wardmate"),
        ("The WardMate team", "wardmate"),
        ("ＷＡＲＤＭＡＴＥ", "wardmate"),  # full-width letters
        ("Ward\u200bmate Support", "wardmate"),  # a zero-width space inside the word
        ("support@wardmate.com", "wardmate"),
        # Lookalike letters of other scripts and fonts.
        ("W\u0430rdmate Support", "wardmate"),  # a Cyrillic а
        ("\u051c\u0410RD\u041c\u0410\u0422\u0415", "wardmate"),  # Cyrillic Ԝ, А, М, Т, Е
        ("Ver\u0131f\u0131ed host", "verified"),  # Turkish dotless ı
        ("v\u0435r\u0456f\u0456\u0435d", "verified"),  # Cyrillic е and і
        ("\U0001d416\U0001d41a\U0001d42b\U0001d41d\U0001d426\U0001d41a\U0001d42d\U0001d41e", "wardmate"),  # bold
        ("\u24e6\u24d0\u24e1\u24d3\u24dc\u24d0\u24e3\u24d4 team", "wardmate"),  # circled letters
        ("VERlFlED host", "verified"),  # a lower-case l for the I
        ("Wardrnate Support", "wardmate"),  # r and n for the m
    ],
)
def test_names_that_break_lines_hide_or_spoof_are_refused_with_a_field_error(name: str, words: str) -> None:
    for model, body in ((SignupRequest, SIGNUP | {"display_name": name}), (ProfileFields, {"display_name": name})):
        [error] = refusal(model, body)
        assert error["field"] == "display_name"
        assert words in error["message"], error


def test_a_profile_change_without_a_name_leaves_the_name_alone() -> None:
    """Only a name sent is checked: a user whose stored name predates the rules can still
    change the rest of their profile."""
    assert ProfileFields.model_validate_json('{"bio": "hello"}').model_dump(exclude_unset=True) == {"bio": "hello"}


def test_stored_names_are_read_back_whatever_they_hold() -> None:
    """Replies and events take any stored name: the rules are for what is sent, and an
    account named before them keeps working."""
    old = "✓ Wardmate\nSupport\u202e"
    user = User.model_validate(
        {"id": "12345678-1234-5678-1234-567812345678", "email": "a@b.cd", "display_name": old, "role": "student"}
        | {"created_at": "2026-01-01T00:00:00Z"}
    )
    assert user.display_name == old
    data = UserData(user_id=user.id, version=1, role="student", display_name=old)
    assert UserData.model_validate_json(data.model_dump_json()).display_name == old
