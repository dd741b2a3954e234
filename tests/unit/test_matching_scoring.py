"""Room and mentor scores: each part, the exclusion rules, and the reasons in words."""

from __future__ import annotations

import dataclasses
import math
from datetime import date, timedelta

import numpy as np
import pytest

from services.matching.engine import wording
from services.matching.engine.models import HospitalInput, ListingInput, ProfileInput, RotationInput
from services.matching.engine.scoring import (
    distance_part,
    free_nights,
    hospital_part,
    mentor_score,
    preferences_part,
    price_part,
    rank_mentors,
    rank_rooms,
    review_part,
    room_score,
)
from services.matching.engine.weights import DEFAULT_MENTOR_WEIGHTS, DEFAULT_ROOM_WEIGHTS
from shared.geo import EARTH_RADIUS_KM, haversine_km, haversine_km_array
from shared.pricing import stay_total_cents

JHH = HospitalInput("jhh", "JOHNS HOPKINS HOSPITAL", 39.2963, -76.5927)
MERCY = HospitalInput("mercy", "Mercy Medical Center", 39.2950, -76.6120)
START, END = date(2025, 3, 3), date(2025, 3, 31)  # 28 nights


def north_of(hospital: HospitalInput, km: float) -> tuple[float, float]:
    """A point `km` due north: along a meridian haversine is exactly R x latitude change."""
    return hospital.lat + math.degrees(km / EARTH_RADIUS_KM), hospital.lon


def rotation(**changes: object) -> RotationInput:
    base = RotationInput(JHH, "cardiology", START, END, monthly_budget=1500)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


STUDENT = ProfileInput(
    "stu",
    medical_school="University of Lagos",
    school_country="NG",
    languages=frozenset({"en", "yo"}),
    specialties=frozenset({"cardiology", "pediatrics"}),
    hobbies=frozenset({"chess", "running"}),
    organizations=frozenset({"amwa"}),
)
HOST = ProfileInput(
    "host",
    medical_school="University of Ibadan",
    school_country="NG",
    languages=frozenset({"en", "yo"}),
    specialties=frozenset({"Cardiology"}),
    organizations=frozenset({"amwa", "nma"}),
    open_to_mentoring=True,
)
STRANGER = ProfileInput("other", languages=frozenset({"en"}))


def listing(**changes: object) -> ListingInput:
    lat, lon = north_of(JHH, 1.2)
    base = ListingInput(
        "l1",
        HOST,
        lat,
        lon,
        monthly_rent=1350,
        room_type="private_room",
        available_from=date(2025, 3, 1),
        available_to=date(2025, 4, 30),
        min_stay_nights=7,
        amenities=frozenset({"wifi", "washer"}),
        review_average=4.8,
        review_count=23,
        photo_count=8,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


# --- distances ------------------------------------------------------------------------


def test_haversine_matches_a_known_distance() -> None:
    # Big Ben to the Statue of Liberty: 5,581.1 km on earthdistance's sphere (5,574.8 on
    # the IUGG mean-radius one; the ellipsoid says ~5,575).
    assert haversine_km(51.5007, -0.1246, 40.6892, -74.0445) == pytest.approx(5581.1, abs=0.5)
    assert haversine_km(10.0, 20.0, 10.0, 20.0) == 0.0
    assert haversine_km(0, 0, 0, 180) == pytest.approx(math.pi * EARTH_RADIUS_KM)


def test_haversine_array_agrees_with_scalar_and_broadcasts() -> None:
    lat = np.array([[39.29], [40.71]])
    lon = np.array([[-76.59], [-74.0]])
    got = haversine_km_array(lat, lon, [[39.30, 34.05]], [[-76.61, -118.24]])
    assert got.shape == (2, 2)
    for i in range(2):
        for j, (b_lat, b_lon) in enumerate([(39.30, -76.61), (34.05, -118.24)]):
            want = haversine_km(float(lat[i, 0]), float(lon[i, 0]), b_lat, b_lon)
            assert got[i, j] == pytest.approx(want, rel=1e-12)


def test_distance_part_halves_every_half_distance() -> None:
    half = DEFAULT_ROOM_WEIGHTS.distance_half_km
    assert distance_part(0.0) == 1.0
    assert distance_part(half) == pytest.approx(0.5)
    assert distance_part(2 * half) == pytest.approx(0.25)
    assert distance_part(1.0) > distance_part(2.0) > distance_part(30.0) > 0


# --- coverage -------------------------------------------------------------------------


def test_free_nights_counts_window_and_bookings_hotel_style() -> None:
    assert free_nights(rotation(), listing()) == (28, 28)
    # available_to is the last check-out day: ending on the rotation's end covers it all.
    assert free_nights(rotation(), listing(available_to=END)) == (28, 28)
    assert free_nights(rotation(), listing(available_to=END - timedelta(days=1))) == (27, 27)
    late = listing(available_from=START + timedelta(days=8))
    assert free_nights(rotation(), late) == (20, 20)
    # A booking of nights 10..13 of the rotation splits it into runs of 10 and 14.
    booked = listing(booked=((START + timedelta(days=10), START + timedelta(days=14)),))
    assert free_nights(rotation(), booked) == (24, 14)
    outside = listing(booked=((date(2025, 4, 5), date(2025, 4, 20)),))
    assert free_nights(rotation(), outside) == (28, 28)


def test_partial_coverage_scores_lower_and_says_how_many_nights() -> None:
    full = room_score(rotation(), STUDENT, listing())
    part = room_score(rotation(), STUDENT, listing(available_from=START + timedelta(days=8)))
    assert full is not None and part is not None
    assert part.parts["coverage"] == pytest.approx(20 / 28)
    assert part.score < full.score
    assert "free for 20 of 28 nights" in part.reasons
    assert "free for all 28 nights of your rotation" in full.reasons
    assert (part.free_nights, part.nights) == (20, 28)


def test_exclusion_rules() -> None:
    rot = rotation()
    never = listing(available_from=date(2025, 5, 1), available_to=date(2025, 6, 1))
    assert room_score(rot, STUDENT, never) is None  # no free night
    # 10 free nights then a booking then 14: longest run 14 < minimum stay 21.
    split = listing(booked=((START + timedelta(days=10), START + timedelta(days=14)),), min_stay_nights=21)
    assert room_score(rot, STUDENT, split) is None
    assert room_score(rot, STUDENT, listing(min_stay_nights=14)) is not None
    lat, lon = north_of(JHH, DEFAULT_ROOM_WEIGHTS.max_distance_km + 1)
    assert room_score(rot, STUDENT, listing(lat=lat, lon=lon)) is None
    assert room_score(rot, HOST, listing()) is None  # nobody rents their own room


# --- price and reviews ----------------------------------------------------------------


def test_price_part_and_stay_cost() -> None:
    assert price_part(1350, 1500) == 1.0
    assert price_part(1500, 1500) == 1.0
    # Falls linearly to 0 at 50 % over budget.
    assert price_part(1875, 1500) == pytest.approx(0.5)
    assert price_part(2250, 1500) == 0.0
    assert price_part(9000, 1500) == 0.0
    assert price_part(2000, None) == 1.0
    # The one price rule (shared.pricing, as listings quotes): 1825 * 12 / 365 = 60.00 a
    # night; 1350 * 12 / 365 = 44.383... -> 44.38 a night, so 28 nights are 1,242.64.
    assert stay_total_cents(1825, 28) == 168_000
    assert stay_total_cents(1350, 28) == 124_264


@pytest.mark.parametrize(
    ("rent", "reason"),
    [
        (1350, "$150 under your budget"),
        (1500, "exactly your budget"),
        (1620, "$120 over your budget"),
    ],
)
def test_budget_reasons(rent: int, reason: str) -> None:
    match = room_score(rotation(), STUDENT, listing(monthly_rent=rent))
    assert match is not None and reason in match.reasons


def test_reviews_are_shrunk_toward_the_prior() -> None:
    assert review_part(None, 0) == pytest.approx(0.75)  # prior 4.0 stars
    # One 5-star review: (4.0 x 3 + 5) / 4 = 4.25 stars, mapped from 1..5 onto 0..1.
    assert review_part(5.0, 1) == pytest.approx((4.25 - 1) / 4)
    # One perfect review counts for less than fifty reviews averaging 4.9.
    assert review_part(5.0, 1) < review_part(4.9, 50)
    assert review_part(5.0, 10_000) == pytest.approx(1.0, abs=1e-3)
    assert review_part(1.0, 10_000) == pytest.approx(0.0, abs=1e-3)
    assert review_part(2.0, 3) < review_part(None, 0)


# --- affinity and reasons -------------------------------------------------------------


def test_room_reasons_count_photos() -> None:
    """A room match says how many photos the listing has, or that it has none yet."""
    for count, words in ((8, "8 photos"), (1, "1 photo"), (0, "no photos yet")):
        match = room_score(rotation(), STUDENT, listing(photo_count=count))
        assert match is not None and words in match.reasons


def test_room_reasons_in_words() -> None:
    match = room_score(rotation(), STUDENT, listing())
    assert match is not None
    assert match.reasons == [
        "1.2 km from Johns Hopkins Hospital",
        "free for all 28 nights of your rotation",
        "$150 under your budget",
        "host is a cardiologist — your specialty",
        "you both studied in Nigeria",
        "you both speak Yoruba",
        "you are both AMWA members",
        "host is open to mentoring",
        "rated 4.8 from 23 reviews",
        "8 photos",
    ]
    assert match.distance_km == pytest.approx(1.2)
    assert match.stay_total_cents == 124_264


def test_affinity_part_counts_each_shared_thing() -> None:
    plain = room_score(rotation(), STUDENT, listing(host=STRANGER))
    rich = room_score(rotation(), STUDENT, listing())
    assert plain is not None and rich is not None
    assert plain.parts["affinity"] == 0.0  # sharing English is not an affinity
    w = DEFAULT_ROOM_WEIGHTS.affinity_parts
    total = w.specialty + w.school + w.country + w.languages + w.organizations + w.mentoring
    want = (w.specialty + w.country + w.languages + w.organizations + w.mentoring) / total
    assert rich.parts["affinity"] == pytest.approx(want)
    same_school = dataclasses.replace(HOST, medical_school="  university of LAGOS ")
    school = room_score(rotation(), STUDENT, listing(host=same_school))
    assert school is not None
    assert school.parts["affinity"] == pytest.approx(1.0)
    assert "you both studied at University of Lagos" in school.reasons
    assert not any("studied in" in r for r in school.reasons)


def test_specialty_wording_and_partial_credit() -> None:
    peds = dataclasses.replace(HOST, specialties=frozenset({"pediatrics"}))
    match = room_score(rotation(), STUDENT, listing(host=peds))
    assert match is not None
    assert "host is a pediatrician — one of your specialties" in match.reasons
    sports = dataclasses.replace(HOST, specialties=frozenset({"sports_medicine"}))
    match = room_score(rotation(specialty="Sports-Medicine"), STUDENT, listing(host=sports))
    assert match is not None
    assert "host works in sports medicine — your specialty" in match.reasons
    internist = dataclasses.replace(HOST, specialties=frozenset({"Internal_Medicine"}))
    match = room_score(rotation(specialty="internal medicine"), STUDENT, listing(host=internist))
    assert match is not None and "host is an internist — your specialty" in match.reasons


def test_preferences_part_and_reasons() -> None:
    assert preferences_part(rotation(), listing()) == 1.0  # nothing asked
    wants = rotation(room_types=frozenset({"entire_place"}), amenities=frozenset({"wifi", "Parking"}))
    assert preferences_part(wants, listing()) == pytest.approx((0.0 + 0.5) / 2)
    match = room_score(wants, STUDENT, listing())
    assert match is not None
    assert "a private room — you asked for an entire place" in match.reasons
    assert "has wifi" in match.reasons and "no parking" in match.reasons
    ok = room_score(rotation(room_types=frozenset({"private_room"})), STUDENT, listing())
    assert ok is not None and "a private room, as you asked" in ok.reasons


def test_score_is_the_weighted_mean_of_parts_and_weights_change_rankings() -> None:
    match = room_score(rotation(), STUDENT, listing())
    assert match is not None
    w = {k: getattr(DEFAULT_ROOM_WEIGHTS, k) for k in match.parts}
    assert match.score == pytest.approx(sum(w[k] * v for k, v in match.parts.items()) / sum(w.values()))
    assert all(0.0 <= v <= 1.0 for v in match.parts.values())
    near_dear = listing(id="near", monthly_rent=2100)
    far_cheap = listing(id="far", monthly_rent=900, lat=north_of(JHH, 8.0)[0])
    ranked = [m.listing_id for m in rank_rooms(rotation(), STUDENT, [near_dear, far_cheap])]
    assert ranked == ["far", "near"]
    by_distance = dataclasses.replace(DEFAULT_ROOM_WEIGHTS, distance=5.0)
    ranked = [m.listing_id for m in rank_rooms(rotation(), STUDENT, [near_dear, far_cheap], by_distance)]
    assert ranked == ["near", "far"]


def test_rank_rooms_drops_excluded_and_breaks_ties_by_id() -> None:
    gone = listing(id="gone", available_from=date(2026, 1, 1), available_to=date(2026, 2, 1))
    found = rank_rooms(rotation(), STUDENT, [listing(id="b"), gone, listing(id="a")], limit=5)
    assert [m.listing_id for m in found] == ["a", "b"]
    assert rank_rooms(rotation(), STUDENT, [listing(id="b"), listing(id="a")], limit=1)[0].listing_id == "a"


# --- mentors --------------------------------------------------------------------------

MENTOR = ProfileInput(
    "doc",
    medical_school="University of Ibadan",
    school_country="NG",
    languages=frozenset({"en", "yo", "fr"}),
    specialties=frozenset({"cardiology"}),
    hobbies=frozenset({"chess"}),
    organizations=frozenset({"nma"}),
    profession="physician",
    hospital_ids=frozenset({"jhh"}),
    open_to_mentoring=True,
    mentoring_capacity=3,
)
HOSPITALS = {h.id: h for h in (JHH, MERCY)}


def test_mentor_score_parts_and_reasons() -> None:
    match = mentor_score(rotation(), STUDENT, MENTOR, hospitals=HOSPITALS, mentees=1)
    assert match is not None
    assert match.parts == {
        "specialty": 1.0,
        "hospital": 1.0,
        "school": 0.0,
        "country": 1.0,
        "languages": 1.0,
        "hobbies": 0.5,
        "organizations": 0.0,
    }
    assert match.remaining_capacity == 2
    assert match.reasons == [
        "works at Johns Hopkins Hospital — your rotation's hospital",
        "a cardiologist — your specialty",
        "you both studied in Nigeria",
        "you both speak Yoruba",
        "you both enjoy chess",
        "can take 2 more mentees",
    ]


def test_mentor_hospital_part_by_affiliation_or_distance() -> None:
    elsewhere = dataclasses.replace(MENTOR, hospital_ids=frozenset({"mercy"}))
    part, km, there = hospital_part(rotation(), elsewhere, HOSPITALS)
    want_km = haversine_km(JHH.lat, JHH.lon, MERCY.lat, MERCY.lon)
    assert km == pytest.approx(want_km) and there == MERCY
    w = DEFAULT_MENTOR_WEIGHTS
    assert part == pytest.approx(w.hospital_near_max * 0.5 ** (want_km / w.hospital_half_km))
    match = mentor_score(rotation(), STUDENT, elsewhere, hospitals=HOSPITALS)
    assert match is not None
    assert f"works at Mercy Medical Center, {wording.distance(want_km)} from Johns Hopkins Hospital" in match.reasons
    unknown = dataclasses.replace(MENTOR, hospital_ids=frozenset({"nowhere"}))
    assert hospital_part(rotation(), unknown, HOSPITALS) == (0.0, None, None)
    far = HospitalInput("far", "Far General", *north_of(JHH, 100.0))
    remote = dataclasses.replace(MENTOR, hospital_ids=frozenset({"far"}))
    match = mentor_score(rotation(), STUDENT, remote, hospitals={"far": far})
    assert match is not None and not any(r.startswith("works at") for r in match.reasons)


def test_mentor_exclusions_and_ranking() -> None:
    assert mentor_score(rotation(), STUDENT, dataclasses.replace(MENTOR, open_to_mentoring=False)) is None
    assert mentor_score(rotation(), STUDENT, MENTOR, mentees=3) is None
    assert mentor_score(rotation(), MENTOR, MENTOR) is None
    weaker = dataclasses.replace(MENTOR, id="b-weak", specialties=frozenset({"dermatology"}))
    twin = dataclasses.replace(MENTOR, id="a-twin")
    ranked = rank_mentors(rotation(), STUDENT, [weaker, MENTOR, twin], hospitals=HOSPITALS, mentee_counts={"doc": 3})
    assert [m.mentor_id for m in ranked] == ["a-twin", "b-weak"]
    assert ranked[0].score > ranked[1].score


# --- wording --------------------------------------------------------------------------


def test_wording_helpers() -> None:
    assert wording.country_name("NG") == "Nigeria"
    assert wording.country_name("us") == "the United States"
    assert wording.country_name("KR") == "South Korea"
    assert wording.country_name("XX") == "XX"
    assert wording.language_name("yo") == "Yoruba"
    assert wording.language_name("yor") == "Yoruba"
    assert wording.language_name("el") == "Greek"
    assert wording.language_name("qqq") == "qqq"
    assert wording.practitioner("OB-GYN") == "an obstetrician-gynecologist"
    assert wording.practitioner("underwater basket weaving") is None
    assert wording.organization_name("amwa") == "AMWA"
    assert wording.organization_name("rotary club") == "rotary club"
    assert wording.hospital_name("UNIVERSITY OF MARYLAND MEDICAL CENTER") == "University of Maryland Medical Center"
    assert wording.hospital_name("St. Agnes") == "St. Agnes"
    # Initials stay, small words do not shout, and a part after " - " starts with a capital.
    for shouted, said in (
        ("BIRMINGHAM VA MEDICAL CENTER", "Birmingham VA Medical Center"),
        ("HALIFAX HEALTH UF HEALTH MEDICAL CENTER OF DELTONA", "Halifax Health UF Health Medical Center of Deltona"),
        ("WADLEY REGIONAL MEDICAL CENTER AT HOPE", "Wadley Regional Medical Center at Hope"),
        ("SCRIPPS MEMORIAL HOSPITAL - LA JOLLA", "Scripps Memorial Hospital - La Jolla"),
        (
            "THOUSAND OAKS SURGICAL HOSPITAL - A CAMPUS OF LOS ROBLES",
            "Thousand Oaks Surgical Hospital - A Campus of Los Robles",
        ),
        ("EL CENTRO REGIONAL MEDICAL CENTER", "El Centro Regional Medical Center"),
        ("ORLANDO HEALTH DR P PHILLIPS HOSPITAL", "Orlando Health Dr P Phillips Hospital"),
        ("ST JOSEPH'S WESTGATE MEDICAL CENTER", "St Joseph's Westgate Medical Center"),
        ("J. PAUL JONES HOSPITAL", "J. Paul Jones Hospital"),
    ):
        assert wording.hospital_name(shouted) == said
    assert wording.money(1234.4) == "$1,234"
    assert [wording.distance(k) for k in (0.42, 1.234, 12.6)] == ["400 m", "1.2 km", "13 km"]
    assert wording.join_words(["a", "b", "c"]) == "a, b and c"
    assert wording.join_words(["a", "b"], "or") == "a or b"
    assert wording.plural(1, "night") == "1 night" and wording.plural(2, "night") == "2 nights"
