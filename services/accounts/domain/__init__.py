"""Pure rules of accounts: password hashing, session tokens, profile merging."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from shared.contracts.accounts import ProfileFields
from shared.contracts.base import Actor
from shared.errors import AppError

# argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): ~25 ms a hash on
# this class of machine, so a burst of signups does not starve a 2-core host. The library
# default (64 MiB, 3 passes) costs ~160 ms. Old hashes still verify after a change, and
# ``needs_rehash`` tells when to upgrade one at login.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# Verified against when the email is unknown, so a miss costs as much as a wrong password.
_DUMMY_HASH = _hasher.hash("wardmate-dummy-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def wrong_password(field: str) -> AppError:
    """The 403 of a password that is not the account's, given in the request's ``field``
    (its details name it, so a form shows it beside that field)."""
    what = "the current password" if field == "current_password" else "the password"
    said = f"{what[0].upper()}{what[1:]} is not right."
    return AppError("forbidden", f"{what} is not right", [{"field": field, "message": said}])


def new_token(secret: str) -> tuple[str, bytes]:
    """A random session token and the hash we store (the token itself is never stored)."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token, secret)


def token_hash(token: str, secret: str) -> bytes:
    """HMAC-SHA256 of the token under the server secret: a leaked table yields nothing usable."""
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).digest()


def merge_profile(current: dict[str, Any], changes: ProfileFields, role: str) -> dict[str, Any]:
    """Apply a PATCH to a stored profile; professional fields are refused for students."""
    updates = changes.model_dump(exclude_unset=True, exclude={"display_name"})
    if role != "professional":
        refused = sorted(set(updates) & ProfileFields.PROFESSIONAL_ONLY)
        if refused:
            raise AppError(
                "validation",
                "these fields are for professionals only",
                [{"field": f, "message": "professionals only"} for f in refused],
            )
    merged = {**current, **updates}
    return merged


# What each role may send as a verification document.
DOCUMENT_KINDS = {"student": ("enrolment", "rotation_acceptance"), "professional": ("licence",)}


def check_document_kind(role: str, kind: str) -> None:
    allowed = DOCUMENT_KINDS.get(role, ())
    if kind not in allowed:
        raise AppError(
            "validation",
            f"a {role} may send: {', '.join(allowed) or 'no documents'}",
            [{"field": "kind", "message": f"one of: {', '.join(allowed)}" if allowed else "not for your role"}],
        )


def may_see_document(actor: Actor, owner_id: uuid.UUID) -> bool:
    """Documents are private: their owner and operators only."""
    return actor.user_id == owner_id or actor.role == "admin"


# What an operator compares with the credential or document before giving the badge (the
# operators' page: "compare the name and school or hospital with the profile").
CHECKED_PROFILE_FIELDS = ("medical_school",)


def changes_checked_identity(
    name: str, profile: dict[str, Any], new_name: str | None, new_profile: dict[str, Any]
) -> bool:
    """Whether a profile change touches what an operator checked to verify the user: the
    display name or the medical school. The badge vouches for those; kept past a change,
    it would vouch for a name nobody checked."""
    if new_name is not None and new_name != name:
        return True
    return any(profile.get(field) != new_profile.get(field) for field in CHECKED_PROFILE_FIELDS)


def document_verifies(owner_role: str, kind: str, decision: str) -> bool:
    """A verified proof of enrolment or rotation acceptance makes a student a verified
    student (a licence scan supports a professional's credential check, which stays the NPI
    or licence verification operators already do)."""
    return decision == "verified" and owner_role == "student" and kind in DOCUMENT_KINDS["student"]
