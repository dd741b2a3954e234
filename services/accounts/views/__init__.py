"""Reply and event payloads of accounts, built from rows: no I/O."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shared.contracts.accounts import Me, Profile, PublicProfile, User, UserData, Verification
from shared.contracts.documents import Document, QueuedDocument

Row = Any  # an asyncpg Record or a dict with the same keys


def user_data(snapshot: Row) -> UserData:
    """The user as events carry it (``store.snapshot``'s row)."""
    profile = Profile.model_validate(snapshot["profile"])
    fields = profile.model_dump()
    if snapshot["suspended"]:
        # A suspended account mentors nobody: matching's mentor lists drop it. Its own
        # setting is kept, and the next snapshot after the suspension is lifted carries it.
        fields["open_to_mentoring"] = False
    return UserData(
        user_id=snapshot["id"],
        version=snapshot["version"],
        role=snapshot["role"],
        display_name=snapshot["display_name"],
        verified=snapshot["verified"],
        suspended=snapshot["suspended"],
        **fields,
    )


def verification(row: Row | None) -> Verification:
    if row is None:
        return Verification()
    rejected = row["status"] == "rejected"
    return Verification(
        status=row["status"],
        kind=row["kind"],
        submitted_at=row["submitted_at"],
        verified_at=row["verified_at"],
        rejected_at=row["rejected_at"] if rejected else None,
        rejection_reason=row["rejection_reason"] if rejected else None,
    )


def me(user: Row, profile: Row, credential: Row | None) -> Me:
    return Me(
        user=User.model_validate(dict(user)),
        profile=Profile.model_validate(profile),
        verification=verification(credential),
    )


def public_profile(account: Me, suspended: bool = False) -> PublicProfile:
    """What anyone sees of a user; a suspended one is shown not mentoring, as matching has it."""
    profile = account.profile.model_copy(update={"open_to_mentoring": False}) if suspended else account.profile
    return PublicProfile(
        id=account.user.id,
        display_name=account.user.display_name,
        role=account.user.role,
        verified=account.verification.status == "verified",
        profile=profile,
        member_since=account.user.created_at,
        suspended=suspended,
    )


def document(row: Row, retention_days: float) -> Document:
    """A document as its owner and operators see it, with when its file goes."""
    decided = row["decided_at"]
    return Document(
        id=row["id"],
        user_id=row["user_id"],
        kind=row["kind"],
        content_type=row["content_type"],
        size_bytes=row["size_bytes"],
        pages=row["pages"],
        status=row["status"],
        note=row["note"],
        created_at=row["created_at"],
        decided_at=decided,
        available=row["deleted_at"] is None,
        delete_after=decided + timedelta(days=retention_days) if decided else None,
    )


def queued_document(row: Row, retention_days: float) -> QueuedDocument:
    return QueuedDocument(
        **document(row, retention_days).model_dump(),
        display_name=row["display_name"],
        email=row["email"],
        role=row["role"],
        medical_school=row["medical_school"],
    )
