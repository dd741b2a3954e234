"""Contracts of the accounts service: users, sessions, profiles, verification."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import datetime
from typing import Annotated, ClassVar, Literal

import pycountry
from pydantic import AfterValidator, Field, field_validator, model_validator

from shared.contracts.base import Contract, Event, EventData, Reply

Role = Literal["student", "professional", "admin"]
SignupRole = Literal["student", "professional"]

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def _email(value: str) -> str:
    value = value.strip().lower()
    if len(value) > 254 or not _EMAIL.match(value):
        raise ValueError("not a valid email address")
    return value


def _country(value: str) -> str:
    code = value.strip().upper()
    if pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"unknown ISO 3166-1 alpha-2 country code: {value!r}")
    return code


def _language(value: str) -> str:
    code = value.strip().lower()
    found = pycountry.languages.get(alpha_2=code) if len(code) == 2 else pycountry.languages.get(alpha_3=code)
    if found is None:
        raise ValueError(f"unknown ISO 639 language code: {value!r}")
    return code


def _us_state(value: str) -> str:
    code = value.strip().upper()
    if pycountry.subdivisions.get(code=f"US-{code}") is None:  # type: ignore[no-untyped-call]
        raise ValueError(f"unknown US state or territory code: {value!r}")
    return code


def _tag(value: str) -> str:
    value = " ".join(value.split()).lower()
    if not value:
        raise ValueError("must not be empty")
    return value


Email = Annotated[str, AfterValidator(_email)]
CountryCode = Annotated[str, AfterValidator(_country)]
LanguageCode = Annotated[str, AfterValidator(_language)]
StateCode = Annotated[str, AfterValidator(_us_state)]
Tag = Annotated[str, Field(min_length=1, max_length=60), AfterValidator(_tag)]
Password = Annotated[str, Field(min_length=10, max_length=128)]
DisplayName = Annotated[str, Field(min_length=1, max_length=80)]


def session_fingerprint(token: str) -> str:
    """How gateways name a session in their cache and in revocation broadcasts."""
    return hashlib.sha256(token.encode()).hexdigest()


def npi_is_valid(npi: str) -> bool:
    """Check an NPI's check digit: Luhn over the prefix 80840 and the first nine digits."""
    if not re.fullmatch(r"\d{10}", npi):
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
    email: Email
    password: Password
    display_name: DisplayName
    role: SignupRole


class LoginRequest(Contract):
    email: Annotated[str, Field(min_length=1, max_length=254)]
    password: Annotated[str, Field(min_length=1, max_length=128)]
    client_address: str | None = Field(None, description="set by the gateway")


class TokenRequest(Contract):
    token: Annotated[str, Field(min_length=1, max_length=200)]


class UserIdRequest(Contract):
    user_id: uuid.UUID


class ProfileFields(Contract):
    """Profile fields a user may set; every field optional so PATCH sends only changes."""

    display_name: DisplayName | None = None
    bio: Annotated[str, Field(max_length=2000)] | None = None
    medical_school: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    school_country: CountryCode | None = None
    graduation_year: Annotated[int, Field(ge=1950, le=2100)] | None = None
    languages: Annotated[list[LanguageCode], Field(max_length=20)] | None = None
    specialties: Annotated[list[Tag], Field(max_length=10)] | None = None
    hobbies: Annotated[list[Tag], Field(max_length=20)] | None = None
    organizations: Annotated[list[Tag], Field(max_length=20)] | None = None
    # professionals only
    profession: Annotated[str, Field(min_length=1, max_length=80)] | None = None
    hospital_ids: Annotated[list[Annotated[str, Field(max_length=200)]], Field(max_length=10)] | None = None
    open_to_mentoring: bool | None = None
    mentoring_capacity: Annotated[int, Field(ge=0, le=50)] | None = None

    PROFESSIONAL_ONLY: ClassVar[frozenset[str]] = frozenset(
        {"profession", "hospital_ids", "open_to_mentoring", "mentoring_capacity"}
    )

    @field_validator("languages", "specialties", "hobbies", "organizations", "hospital_ids")
    @classmethod
    def _dedupe(cls, value: list[str] | None) -> list[str] | None:
        return list(dict.fromkeys(value)) if value is not None else None


class VerificationRequest(Contract):
    """An NPI number, or a licence number with its state."""

    npi: str | None = None
    license_number: Annotated[str, Field(min_length=3, max_length=40)] | None = None
    license_state: StateCode | None = None

    @model_validator(mode="after")
    def _one_credential(self) -> VerificationRequest:
        if self.npi is not None:
            if self.license_number or self.license_state:
                raise ValueError("give either an NPI or a licence, not both")
            if not npi_is_valid(self.npi):
                raise ValueError("NPI must be 10 digits with a valid check digit")
        elif not (self.license_number and self.license_state):
            raise ValueError("give an NPI, or a licence number and its state")
        return self


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
    status: Literal["none", "pending", "verified"] = "none"
    kind: Literal["npi", "license"] | None = None
    submitted_at: datetime | None = None
    verified_at: datetime | None = None


class User(Reply):
    id: uuid.UUID
    email: str
    display_name: str
    role: Role
    created_at: datetime


class Me(Reply):
    user: User
    profile: Profile
    verification: Verification


class PublicProfile(Reply):
    id: uuid.UUID
    display_name: str
    role: Role
    verified: bool
    profile: Profile
    member_since: datetime


class LoginReply(Reply):
    token: str
    expires_at: datetime
    user: User


class SessionInfo(Reply):
    user_id: uuid.UUID
    role: Role
    expires_at: datetime


# --- events ---------------------------------------------------------------------------


class UserData(EventData):
    """A user as consumers see them after a change: public profile, role, badge; no email."""

    user_id: uuid.UUID
    role: Role
    display_name: str
    verified: bool = False
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
    subject: ClassVar[str] = "events.accounts.user.registered"
    user: UserData


class ProfileUpdated(Event):
    subject: ClassVar[str] = "events.accounts.profile.updated"
    user: UserData


class UserVerified(Event):
    subject: ClassVar[str] = "events.accounts.user.verified"
    user: UserData
