"""The shipped reference lists: specialties and organizations, and matching reading them
as one thing however they are typed."""

from __future__ import annotations

import dataclasses

from services.matching.engine.features import affinity, affinity_reasons
from services.matching.engine.models import ProfileInput
from shared import reference


def test_one_specialty_however_it_is_typed() -> None:
    assert {reference.specialty_key(s) for s in ("Cardiology", "cardiology ", "Cardio", "cardiovascular disease")} == {
        "cardiology"
    }
    assert reference.specialty_key("OB-GYN") == reference.specialty_key("Obstetrics & Gynecology")
    assert reference.specialty_key("Surgery") == "general surgery"
    assert reference.specialty_name("peds") == "Pediatrics"
    assert reference.specialty_key("Underwater  Medicine") == "underwater medicine"  # off the list: itself


def test_the_lists_are_consistent() -> None:
    """No spelling means two things; every organization the issue names is listed."""
    seen: dict[str, str] = {}
    for specialty in reference.specialties():
        for spelling in (specialty.name, *specialty.aliases):
            key = reference.normalise(spelling)
            assert seen.setdefault(key, specialty.name) == specialty.name, spelling
    codes = {o.code for o in reference.organizations()}
    assert {"AMWA", "NMA", "AMGA", "AMSA", "SNMA", "LMSA", "APAMSA", "AAPI"} <= codes
    assert all(o.url.startswith("https://") for o in reference.organizations())


def test_organizations_by_code_or_name() -> None:
    assert reference.organization_key("American Medical Women\u2019s Association") == "amwa"
    assert reference.organization_code("amwa ") == "AMWA"
    assert reference.organization_code("Rotary Club") is None


def test_match_reasons_name_shared_organizations_and_specialties() -> None:
    student = ProfileInput(
        "s", specialties=frozenset({"Cardio"}), organizations=frozenset({"American Medical Women's Association"})
    )
    mentor = dataclasses.replace(
        student, id="m", specialties=frozenset({"cardiology "}), organizations=frozenset({"AMWA", "snma"})
    )
    shared = affinity(student, mentor, "Cardiology")
    assert shared.rotation_specialty and shared.organizations == ("amwa",)
    reasons = affinity_reasons(shared, student, "mentor")
    assert "mentor is a cardiologist — your specialty" in reasons
    assert "you are both AMWA members" in reasons
