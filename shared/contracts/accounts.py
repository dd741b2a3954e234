"""Contracts of the accounts service: users, sessions, profiles, verification."""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

import pycountry
from anyascii import anyascii
from pydantic import MISSING, AfterValidator, Field, field_validator, model_validator

from shared import subjects
from shared.contracts.base import (
    EMAIL_PATTERN,
    NAME_PATTERN,
    WHOLE_NUMBER,
    Contract,
    Cursor,
    Event,
    EventData,
    HospitalId,
    Id,
    Limit,
    Page,
    Reply,
    Text,
    Words,
    worded,
)

Role = Literal["student", "professional", "admin"]
SignupRole = Literal["student", "professional"]


# Codes are listed in the document as enums, so a client can tell a valid one in advance.
COUNTRY_CODES = sorted(c.alpha_2 for c in pycountry.countries)
US_STATE_CODES = sorted(
    s.code.removeprefix("US-")
    for s in pycountry.subdivisions.get(country_code="US")  # type: ignore[no-untyped-call]
)


def _country(value: str) -> str:
    if value not in COUNTRY_CODES:
        raise ValueError(f"choose a country from the list ({value!r} is no ISO 3166-1 alpha-2 code)")
    return value


def _language(value: str) -> str:
    found = pycountry.languages.get(alpha_2=value) if len(value) == 2 else pycountry.languages.get(alpha_3=value)
    if found is None:
        raise ValueError(f"choose a language from the list ({value!r} is no ISO 639 code)")
    return value


def _us_state(value: str) -> str:
    if value not in US_STATE_CODES:
        raise ValueError(f"unknown US state or territory code: {value!r}")
    return value


def _tag(value: str) -> str:
    return " ".join(value.split()).lower()


def stored_email(value: str) -> str:
    """An address as accounts keeps it: lower case, its domain in the ASCII form mail
    systems use (IDNA: "zoe@münchen-klinik.de" is "zoe@xn--mnchen-klinik-8db.de"), so a
    mail to it is delivered without SMTPUTF8 and one mailbox is one account whichever way
    it is typed.

    Raises:
        ValueError: the domain is no name mail can reach.
    """
    local, _, domain = value.rpartition("@")
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError("the part after @ is not a domain name mail can reach") from None
    address = f"{local}@{ascii_domain}".lower()
    if len(address) > 254:
        raise ValueError("too long once its domain is written for mail (254 characters at most)")
    return address


def lookup_email(value: str) -> str:
    """``stored_email`` of what someone typed to log in or reset a password; text that is
    no address stays as typed, lower case, and finds no account."""
    try:
        return stored_email(value.strip())
    except ValueError:
        return value.strip().lower()


Email = Annotated[
    str,
    Field(max_length=254, pattern=EMAIL_PATTERN, description="compared case-insensitively"),
    AfterValidator(stored_email),
]
CountryCode = Annotated[
    str,
    Field(description="ISO 3166-1 alpha-2 code", json_schema_extra={"enum": COUNTRY_CODES}),
    AfterValidator(_country),
]
LanguageCode = Annotated[
    str,
    # Too many codes for an enum (ISO 639-3 has about 8000): the pattern, then the list.
    Field(
        pattern=worded(r"^[a-z]{2,3}$", "a language code of 2 or 3 small letters, such as en or yo"),
        description="ISO 639-1 or 639-3 code",
    ),
    AfterValidator(_language),
]
StateCode = Annotated[
    str,
    Field(description="US state or territory code", json_schema_extra={"enum": US_STATE_CODES}),
    AfterValidator(_us_state),
]
Tag = Annotated[
    Words, Field(min_length=1, max_length=60, description="stored lower-case, spaces collapsed"), AfterValidator(_tag)
]
# Passwords that are long enough and no secret: the first any guesser tries.
COMMON_PASSWORDS = frozenset(
    {
        "1234567890",
        "0123456789",
        "12345678910",
        "qwertyuiop",
        "1q2w3e4r5t",
        "1qaz2wsx3edc",
        "password12",
        "password123",
        "password1234",
        "iloveyou12",
        "wardmate123",
        "abcdefghij",
        "abcd123456",
    }
)


def _guessable(value: str) -> str:
    """A new password with something in it: ten spaces, or "aaaaaaaaaa", were taken."""
    if not value.strip():
        raise ValueError("a password needs more than spaces")
    if len(set(value)) < 4:
        raise ValueError("use at least 4 different characters: a repeated one is guessed first")
    if value.strip().lower() in COMMON_PASSWORDS:
        raise ValueError("this password is among the first any guesser tries: choose another")
    return value


Password = Annotated[Text, Field(min_length=10, max_length=128), AfterValidator(_guessable)]

# Characters some scripts use as letters that show nothing (Hangul fillers, the braille
# blank, Khmer's inherent vowels): a name of these alone looks empty.
BLANK_LETTERS = frozenset("\u115f\u1160\u17b4\u17b5\u2800\u3164\uffa0")
# What would make a name pass for Wardmate's own staff or for the verified badge. Kept
# small on purpose: each entry must never be part of a real person's name (a name is
# refused for it, so a wider list would refuse real people). Words match whole, in any
# case, accents and width, and through zero-width characters put inside them.
RESERVED_WORDS = ("verified", "wardmate")
CHECK_MARKS = frozenset("\u221a\u2611\u2705\u2713\u2714\U0001f5f8\U0001f5f9")
_RESERVED = re.compile(rf"\b({'|'.join(RESERVED_WORDS)})\b")
# What reads as a letter of the reserved words in a sans-serif font, after transliteration.
LATIN_LOOKALIKES = (("rn", "m"), ("vv", "w"), ("l", "i"), ("1", "i"), ("|", "i"))


def visible(char: str) -> bool:
    """Whether ``char`` shows as something: a letter, digit, punctuation or symbol (not a
    space, control, format character such as a zero-width space, or a lone accent)."""
    return unicodedata.category(char)[0] in "LNPS" and char not in BLANK_LETTERS


def reserved_in_name(name: str) -> str | None:
    """The reserved word or check mark in ``name``, if any (see ``RESERVED_WORDS``)."""
    if mark := next((c for c in name if c in CHECK_MARKS), None):
        return mark
    # NFKD splits accents off (and folds full-width letters); keeping only what shows
    # drops the accents and the zero-width characters ("Vérified", "Ver\u200bified").
    folded = "".join(c for c in unicodedata.normalize("NFKD", name) if visible(c) or c.isspace())
    # Letters of other scripts that look like Latin ones ("Wаrdmate" with a Cyrillic а,
    # "Verıfıed" with a dotless ı, "𝐖𝐚𝐫𝐝𝐦𝐚𝐭𝐞") read as those, and so do the ASCII
    # lookalikes of a sans-serif font ("VERlFlED", "Wardrnate").
    skeleton = anyascii(folded).casefold()
    for lookalike, letter in LATIN_LOOKALIKES:
        skeleton = skeleton.replace(lookalike, letter)
    found = _RESERVED.search(skeleton)
    return found.group(1) if found else None


def _display_name(name: str) -> str:
    if not any(visible(c) for c in name):
        raise ValueError("must show at least one letter, digit or sign: invisible characters alone are no name")
    if (reserved := reserved_in_name(name)) is not None:
        raise ValueError(f"must not contain “{reserved}”: a name may not pass for Wardmate's staff or its badge")
    return name


DisplayName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=80,
        pattern=NAME_PATTERN,
        description="one line; no control or text-direction characters; not only invisible characters;"
        f" no check mark and not the words {' or '.join(RESERVED_WORDS)}",
    ),
    AfterValidator(_display_name),
]


def session_fingerprint(token: str) -> str:
    """How gateways name a session in their cache and in revocation broadcasts."""
    return hashlib.sha256(token.encode()).hexdigest()


def npi_is_valid(npi: str) -> bool:
    """Check an NPI's check digit: Luhn over the prefix 80840 and the first nine digits."""
    if not re.fullmatch(r"[0-9]{10}", npi):
        return False
    digits = [int(c) for c in "80840" + npi[:9]]
    total = 0
    # Luhn doubles every second digit counting from the right of the payload
    # (the check digit, not included here, would be position 0).
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10 == int(npi[9])


# --- requests -------------------------------------------------------------------------


class SignupRequest(Contract):
    """A new account; one per email, compared case-insensitively (409 when taken)."""

    email: Email
    password: Password
    display_name: DisplayName
    role: SignupRole
    user_agent: Annotated[Text, Field(max_length=1000)] | None = Field(None, description="set by the gateway")


class LoginRequest(Contract):
    email: Annotated[Text, Field(min_length=1, max_length=254)]
    password: Annotated[Text, Field(min_length=1, max_length=128)]
    client_address: Text | None = Field(None, description="set by the gateway")
    user_agent: Annotated[Text, Field(max_length=1000)] | None = Field(None, description="set by the gateway")


class TokenRequest(Contract):
    token: Annotated[Text, Field(min_length=1, max_length=200)]


class UserIdRequest(Contract):
    user_id: Id


class VerifyUserRequest(UserIdRequest):
    """An operator verifies a professional's credential. ``submitted_at`` is the submission
    they checked (the queue's): if the professional sent another credential or changed their
    name since, the verification is refused (409) rather than given to what nobody checked."""

    submitted_at: datetime | None = None


class RejectCredentialRequest(UserIdRequest):
    """An operator rejects a professional's NPI or licence, saying why (the professional
    reads the reason on their profile, in a notice and a mail, and may submit again).
    ``submitted_at`` is the submission they checked (the queue's): a credential decided, or
    sent again, since is a 409."""

    submitted_at: datetime
    reason: Annotated[Words, Field(max_length=500, description="why, shown to the professional")]


class SuspendRequest(UserIdRequest):
    """An operator suspends an account, saying why (kept for operators, not shown)."""

    reason: Annotated[Words, Field(max_length=500, description="why, for the operators' record")]


def suspended_refusal(support_email: str) -> str:
    """What a suspended account is told when it tries to sign in or publish a room."""
    return f"this account is suspended: write to Wardmate's support at {support_email} to ask why"


class Suspension(Reply):
    user_id: uuid.UUID
    suspended: bool
    suspended_at: datetime | None = None
    reason: str | None = None


class SuspensionList(Contract):
    """The suspended accounts (admins), the latest suspended first."""

    limit: Limit = 20
    cursor: Cursor | None = None


class SuspendedAccount(Reply):
    user_id: uuid.UUID
    display_name: str
    email: str
    role: Role
    suspended_at: datetime
    suspended_by: uuid.UUID | None = Field(description="the operator who suspended it")
    suspended_by_name: str | None = Field(description="that operator's name, null if that account is gone")
    reason: str


class SuspendedAccountPage(Page):
    items: list[SuspendedAccount]


class ProfileFields(Contract):
    """A PATCH of the profile: an omitted field is unchanged. null clears the fields the
    profile shows as optional (bio, school, country, year, profession); lists are cleared
    with [], and the other fields refuse null. profession, hospital_ids, open_to_mentoring
    and mentoring_capacity are for professionals only."""

    display_name: DisplayName | MISSING = MISSING
    bio: Annotated[Text, Field(max_length=2000)] | MISSING | None = MISSING
    medical_school: Annotated[Words, Field(min_length=1, max_length=200)] | MISSING | None = MISSING
    school_country: CountryCode | MISSING | None = MISSING
    graduation_year: Annotated[int, Field(ge=1950, le=2100), WHOLE_NUMBER] | MISSING | None = MISSING
    languages: Annotated[list[LanguageCode], Field(max_length=20)] | MISSING = MISSING
    specialties: Annotated[list[Tag], Field(max_length=10)] | MISSING = MISSING
    hobbies: Annotated[list[Tag], Field(max_length=20)] | MISSING = MISSING
    organizations: Annotated[list[Tag], Field(max_length=20)] | MISSING = MISSING
    # professionals only
    profession: Annotated[Words, Field(min_length=1, max_length=80)] | MISSING | None = MISSING
    hospital_ids: Annotated[list[HospitalId], Field(max_length=10)] | MISSING = MISSING
    open_to_mentoring: bool | MISSING = MISSING
    mentoring_capacity: Annotated[int, Field(ge=0, le=50), WHOLE_NUMBER] | MISSING = MISSING

    PROFESSIONAL_ONLY: ClassVar[frozenset[str]] = frozenset(
        {"profession", "hospital_ids", "open_to_mentoring", "mentoring_capacity"}
    )

    @field_validator("languages", "specialties", "hobbies", "organizations", "hospital_ids")
    @classmethod
    def _dedupe(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


def _one_credential(schema: dict[str, Any]) -> None:
    """The either/or of a verification request as the document states it (the validator
    checks it): exactly one of two closed shapes."""
    props = schema["properties"]
    schema["oneOf"] = [
        {"properties": {k: props[k] for k in keys}, "required": list(keys), "additionalProperties": False}
        for keys in (("npi",), ("license_number", "license_state"))
    ]


class VerificationRequest(Contract):
    """An NPI number, or a licence number with its state (professionals only). An NPI's
    last digit is its Luhn check digit over 80840 and its first nine digits."""

    model_config = {"json_schema_extra": _one_credential}

    npi: (
        Annotated[
            str,
            Field(
                pattern=worded(r"^[0-9]{10}$", "an NPI is 10 digits"), description="10 digits with a valid check digit"
            ),
        ]
        | MISSING
    ) = MISSING
    license_number: Annotated[Words, Field(min_length=3, max_length=40)] | MISSING = MISSING
    license_state: StateCode | MISSING = MISSING

    @field_validator("npi")
    @classmethod
    def _npi_checks(cls, npi: object) -> object:
        # On the field, so that a form shows it beside the NPI (it came as the form's own).
        if isinstance(npi, str) and not npi_is_valid(npi):
            raise ValueError("this is not a valid NPI: its last digit does not match the others. Copy it again")
        return npi

    @model_validator(mode="after")
    def _one_credential(self) -> VerificationRequest:
        if self.npi is not MISSING:
            if self.license_number is not MISSING or self.license_state is not MISSING:
                raise ValueError("give either an NPI or a licence, not both")
        elif self.license_number is MISSING or self.license_state is MISSING:
            raise ValueError("give an NPI, or a licence number and its state")
        return self


class VerificationQueue(Contract):
    """The credentials professionals submitted (admins): pending ones oldest first, or the
    verified (or rejected) ones newest first."""

    status: Literal["pending", "verified", "rejected"] = "pending"
    limit: Limit = 20
    cursor: Cursor | None = None


# --- replies --------------------------------------------------------------------------


class Profile(Reply):
    bio: str | None = None
    medical_school: str | None = None
    school_country: str | None = None
    graduation_year: int | None = None
    languages: list[str] = []
    specialties: list[str] = []
    hobbies: list[str] = []
    organizations: list[str] = []
    profession: str | None = None
    hospital_ids: list[str] = []
    open_to_mentoring: bool = False
    mentoring_capacity: int = 0


class Verification(Reply):
    status: Literal["none", "pending", "verified", "rejected"] = "none"
    kind: Literal["npi", "license", "document"] | None = None
    submitted_at: datetime | None = None
    verified_at: datetime | None = None
    # A rejected credential: when, and the operator's reason (its owner may submit again).
    rejected_at: datetime | None = None
    rejection_reason: str | None = None


class SubmittedCredential(Reply):
    """A professional's submitted NPI or licence, for the admin who checks it."""

    user_id: uuid.UUID
    display_name: str
    email: str
    kind: Literal["npi", "license", "document"]
    npi: str | None = None
    license_number: str | None = None
    license_state: str | None = None
    status: Literal["pending", "verified", "rejected"]
    submitted_at: datetime
    verified_at: datetime | None = None
    # The operator who verified it, by name: who did what and when, where operators look.
    verified_by: uuid.UUID | None = None
    verified_by_name: str | None = None
    # The same of a rejection, with the reason its owner reads.
    rejected_at: datetime | None = None
    rejected_by: uuid.UUID | None = None
    rejected_by_name: str | None = None
    rejection_reason: str | None = None
    also_verified_for: list[str] = Field(
        [], description="names of other accounts verified with the same NPI or licence (up to 5): one names one person"
    )


class CredentialPage(Page):
    items: list[SubmittedCredential]


class User(Reply):
    id: uuid.UUID
    email: str
    display_name: str
    role: Role
    created_at: datetime
    # False until the address is confirmed by the link mailed at signup.
    email_verified: bool = False


class Me(Reply):
    user: User
    profile: Profile
    verification: Verification


class CurrentSession(Reply):
    """Who the caller is: their account, or null for a visitor without a valid session."""

    me: Me | None


class PublicProfile(Reply):
    id: uuid.UUID
    display_name: str
    role: Role
    verified: bool
    profile: Profile
    member_since: datetime
    suspended: bool = Field(
        False, description="an operator suspended the account: not mentoring, and no message reaches it, for now"
    )


class LoginReply(Reply):
    token: str
    expires_at: datetime
    user: User


class SessionInfo(Reply):
    user_id: uuid.UUID
    role: Role
    expires_at: datetime
    email_verified: bool = False


# --- events ---------------------------------------------------------------------------


class UserData(EventData):
    """A user as consumers see them after a change: public profile, role, badge; no email."""

    user_id: uuid.UUID
    role: Role
    display_name: str
    verified: bool = False
    # Suspended by an operator: other services hide what the user offers (rooms, mentoring).
    suspended: bool = False
    bio: str | None = None
    medical_school: str | None = None
    school_country: str | None = None
    graduation_year: int | None = None
    languages: list[str] = []
    specialties: list[str] = []
    hobbies: list[str] = []
    organizations: list[str] = []
    profession: str | None = None
    hospital_ids: list[str] = []
    open_to_mentoring: bool = False
    mentoring_capacity: int = 0


class UserRegistered(Event):
    subject: ClassVar[str] = subjects.USER_REGISTERED
    user: UserData


class ProfileUpdated(Event):
    subject: ClassVar[str] = subjects.PROFILE_UPDATED
    user: UserData


class UserVerified(Event):
    subject: ClassVar[str] = subjects.USER_VERIFIED
    user: UserData


class CredentialRejected(Event):
    """An operator rejected a professional's NPI or licence: they are told why (the reason)
    and that they may submit again (messaging's notification, mailed as their preferences
    say)."""

    subject: ClassVar[str] = subjects.CREDENTIAL_REJECTED
    user_id: uuid.UUID
    kind: Literal["npi", "license"]
    reason: str


class UserSuspended(Event):
    """An operator suspended the account (its snapshot, in the ``ProfileUpdated`` written
    with this event, says ``suspended``): the people it has an open stay, an open
    mentorship or a recent conversation with are told, in that conversation (messaging)."""

    subject: ClassVar[str] = subjects.USER_SUSPENDED
    user_id: uuid.UUID


class UserReinstated(Event):
    """An operator lifted the account's suspension: the same people are told."""

    subject: ClassVar[str] = subjects.USER_REINSTATED
    user_id: uuid.UUID


# Every event that carries a user's snapshot.
USER_EVENTS = (UserRegistered, ProfileUpdated, UserVerified)
