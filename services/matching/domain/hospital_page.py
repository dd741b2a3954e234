"""Pure rules and builders of a hospital's page: who may see whom (each person's
hospital-page visibility against the viewer's role) and what they share with the viewer.
No I/O here."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from typing import Any

from services.matching import domain
from services.matching.engine.features import affinity, affinity_reasons
from shared import reference
from shared.contracts.mentoring import HospitalPerson

# Who each visibility lets see you. Opting in is explicit: the default is nobody.
AUDIENCES: dict[str, frozenset[str]] = {
    "nobody": frozenset(),
    "students": frozenset({"student"}),
    "professionals": frozenset({"professional"}),
    "members": frozenset({"student", "professional", "admin"}),
}


def visible_to(visibility: str, viewer_role: str) -> bool:
    """Whether a person whose hospital-page visibility is ``visibility`` shows to a viewer."""
    return viewer_role in AUDIENCES.get(visibility, frozenset())


def visibilities_shown_to(viewer_role: str) -> list[str]:
    """The hospital-page visibilities whose people show to a viewer of ``viewer_role``
    (``visible_to`` as a list, for the store to filter by before it pages)."""
    return sorted(v for v in AUDIENCES if visible_to(v, viewer_role))


def person(
    row: Mapping[str, Any],
    user_id: uuid.UUID,
    viewer: uuid.UUID,
    viewer_profile: Mapping[str, Any] | None,
    specialty: str,
    *,
    peer: bool,
) -> HospitalPerson:
    """One mentor or peer with the reasons they share something with the viewer."""
    mine = domain.profile_input(viewer, viewer_profile)
    theirs = domain.profile_input(user_id, row.get("data"))
    shared = affinity(mine, theirs, "" if peer else specialty)
    if peer:
        # A peer is a student: "is a cardiologist" would be wrong; their rotation says it.
        shared = dataclasses.replace(shared, specialty=None)
    reasons = affinity_reasons(shared, mine, "" if peer else "mentor")
    their_rotation = row.get("specialty") or ""
    if peer and specialty and reference.specialty_key(specialty) == reference.specialty_key(their_rotation):
        name = reference.specialty_name(their_rotation) or their_rotation
        reasons.insert(0, f"also rotating in {name}")
    return HospitalPerson(
        id=user_id,
        display_name=row.get("display_name"),
        verified=bool(row.get("verified")),
        profession=None if peer else row.get("profession"),
        specialty=row.get("specialty") if peer else None,
        start_date=row.get("start_date") if peer else None,
        end_date=row.get("end_date") if peer else None,
        reasons=reasons,
    )
