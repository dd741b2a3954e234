"""Demo data, loaded through the public API like any client would: hosts with rooms
around real teaching hospitals, verified by an operator, students with profiles, a
booking request (the host's notification and booking conversation), and conversations
with unread messages on both sides."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import aiohttp

from services.demo_photos import demo_photos
from shared.contracts.accounts import npi_is_valid
from shared.mailsink import Mailbox

PASSWORD = "wardmate-demo-1"
ADMIN = ("admin@wardmate.test", "wardmate-admin-1")

HOSPITALS = [
    ("the-johns-hopkins-hospital-baltimore-md", 39.296109, -76.591972, "Baltimore"),
    ("massachusetts-general-hospital-boston-ma", 42.362600, -71.069300, "Boston"),
    ("cleveland-clinic-foundation-cleveland-oh", 41.502751, -81.620793, "Cleveland"),
    ("mayo-clinic-hospital-rochester-rochester-mn", 44.020559, -92.482720, "Rochester"),
    ("ucsf-medical-center-san-francisco-ca", 37.763077, -122.457877, "San Francisco"),
]

HOSTS = [
    ("Dr. Amara Okafor", "cardiology", "NG", ["en", "yo"], ["amwa", "nma"], "University of Lagos"),
    ("Dr. Luis Romero", "internal medicine", "MX", ["es", "en"], ["amga"], "UNAM"),
    ("Dr. Priya Raman", "pediatrics", "IN", ["en", "hi", "ta"], ["amwa"], "AIIMS New Delhi"),
    ("Nurse Hannah Kim", "emergency medicine", "US", ["en", "ko"], [], "Johns Hopkins SON"),
    ("Dr. Omar Haddad", "neurology", "EG", ["ar", "en", "fr"], ["amga"], "Cairo University"),
]

STUDENTS = [
    ("Chidi Eze", "cardiology", "NG", ["en", "ig"], "University of Nigeria"),
    ("Sofia Alvarez", "internal medicine", "MX", ["es", "en"], "Universidad de Guadalajara"),
    ("Arjun Mehta", "pediatrics", "IN", ["en", "hi"], "Manipal University"),
]

# (student, host, messages): each conversation starts with the student's first message and
# alternates; the last one stays unread for its recipient.
CONVERSATIONS = [
    (
        "Sofia Alvarez",
        "Dr. Luis Romero",
        [
            "Hola Dr. Romero! I start my internal medicine rotation in Boston next month.",
            "Welcome! Which service are you on? Happy to share what the first week looks like.",
            "General medicine wards. Is your room still free for the whole four weeks?",
        ],
    ),
    (
        "Arjun Mehta",
        "Dr. Priya Raman",
        [
            "Hello Dr. Raman, I am rotating in pediatrics at Johns Hopkins and saw your room.",
            "Hi Arjun! It is ten minutes on foot from the children's center. Request it for your dates.",
        ],
    ),
    (
        "Chidi Eze",
        "Nurse Hannah Kim",
        ["Hi Hannah, is parking included with the room?"],
    ),
]

# Titles by the room type they describe: a title drawn apart from its type once put "Entire
# studio" on a shared room. Private rooms are the common case, so they come up most.
ROOM_TITLES = {
    "private_room": ["Quiet private room", "Sunny room with desk", "Cozy room", "Private room in shared flat"],
    "entire_place": ["Entire studio", "Whole one-bedroom apartment"],
    "shared_room": ["Shared room with one other student", "Bed in a shared room"],
}
ROOM_TYPES = ["private_room", "private_room", "entire_place", "shared_room"]
AMENITIES = ["wifi", "desk", "laundry", "parking", "kitchen", "private_bath", "air_conditioning"]


def demo_rooms(rng: random.Random, today: date) -> list[list[dict[str, Any]]]:
    """The bodies of ``POST /listings`` for each host's four rooms, in the order of
    ``HOSTS``: within ~3 km of the host's hospital, each titled as its type reads."""
    rooms = []
    for i in range(len(HOSTS)):
        _, lat, lon, city = HOSPITALS[i % len(HOSPITALS)]
        mine: list[dict[str, Any]] = []
        for j in range(4):
            # Within ~3 km of the hospital: the distance a student can walk or bus daily.
            dlat, dlon = rng.uniform(-0.025, 0.025), rng.uniform(-0.03, 0.03)
            room_type = rng.choice(ROOM_TYPES)
            # A title of its own among the host's rooms (two "Quiet private room near …"
            # were told apart on their requests and in the inbox only by address).
            used = {room["title"] for room in mine}
            fresh = [t for t in ROOM_TITLES[room_type] if f"{t} near {city} hospital" not in used]
            title = f"{rng.choice(fresh or ROOM_TITLES[room_type])} near {city} hospital"
            if title in used:
                title = f"{title} ({j + 1})"
            amenities = rng.sample(AMENITIES, 3)
            if "desk" in title and "desk" not in amenities:
                amenities[0] = "desk"  # "Sunny room with desk" listed "no desk"
            mine.append(
                {
                    "title": title,
                    "description": "Furnished, quiet, ideal for a 2-4 week rotation. Linens included.",
                    "room_type": room_type,
                    "address": f"{100 + 7 * j} Demo Street, {city}",
                    "latitude": round(lat + dlat, 6),
                    "longitude": round(lon + dlon, 6),
                    "monthly_rent": rng.randrange(700, 2200, 50),
                    "amenities": amenities,
                    "house_rules": "No smoking. Quiet after 10pm.",
                    "available_from": str(today),
                    "available_to": str(today + timedelta(days=365)),
                    "min_stay_nights": rng.choice([7, 14, 14, 21]),
                }
            )
        rooms.append(mine)
    return rooms


def demo_npi(n: int) -> str:
    """The ``n``-th demo host's NPI, valid (its check digit) and theirs alone: all of them
    had 1234567893, so a new host trying it was told it is already in use by four."""
    payload = f"1{990000 + n:08d}"
    return next(npi for npi in (f"{payload}{d}" for d in range(10)) if npi_is_valid(npi))


def email_for(name: str) -> str:
    return name.lower().replace("dr. ", "").replace("nurse ", "").replace(" ", ".") + "@demo.wardmate.test"


async def load_demo(
    base_url: str,
    progress: Callable[[int], None],
    mailbox: Mailbox,
    seed: int = 7,
    stripe_url: str | None = None,
) -> dict[str, Any]:
    """Create the demo through the API; ``progress(n)`` is called after each step. Each
    user confirms their address by the link mailed to ``mailbox`` (the SMTP sink).
    ``stripe_url``: the local Stripe server, where the demo's paid stay pays with a test card."""
    rng = random.Random(seed)
    api = base_url.rstrip("/") + "/api/v1"
    today = date.today()
    logins: list[tuple[str, str]] = []
    # Display name -> (user id, token), and each host's first listing with its hospital.
    people: dict[str, tuple[str, str]] = {}
    first_rooms: dict[str, tuple[str, str]] = {}
    rooms = demo_rooms(rng, today)
    async with aiohttp.ClientSession() as http:

        async def call(method: str, path: str, token: str | None = None, **body: Any) -> Any:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            async with http.request(method, api + path, json=body or None, headers=headers) as r:
                data = await r.json()
                if r.status >= 400:
                    raise RuntimeError(f"{method} {path}: {r.status} {data}")
                return data

        async def confirm(email: str) -> None:
            [mail] = await mailbox.wait_for(email, lambda m: "Confirm your email address" in m.subject)
            link = mail.link("verify-email")
            async with http.post(api + "/auth/verify-email", json={"token": link.rsplit("token=", 1)[1]}) as r:
                if r.status != 200:
                    raise RuntimeError(f"confirming {email}: {r.status} {await r.text()}")

        admin = await call("POST", "/auth/login", email=ADMIN[0], password=ADMIN[1])
        progress(1)
        for i, (name, specialty, country, langs, orgs, school) in enumerate(HOSTS):
            email = email_for(name)
            host = await call(
                "POST", "/auth/signup", email=email, password=PASSWORD, display_name=name, role="professional"
            )
            token = host["token"]
            await confirm(email)
            hospital_id, _, _, city = HOSPITALS[i % len(HOSPITALS)]
            await call(
                "PATCH",
                "/me/profile",
                token,
                specialties=[specialty],
                school_country=country,
                languages=langs,
                organizations=orgs,
                medical_school=school,
                profession="physician" if name.startswith("Dr") else "nurse",
                hospital_ids=[hospital_id],
                open_to_mentoring=True,
                mentoring_capacity=3,
                bio=f"{specialty.title()} at a teaching hospital in {city}. Happy to host rotating students.",
            )
            await call("POST", "/me/verification", token, npi=demo_npi(i))
            if i != 3:  # leave one host unverified so the badge's absence shows too
                await call("POST", f"/admin/verifications/{host['user']['id']}", admin["token"])
            people[name] = (host["user"]["id"], token)
            for j, room in enumerate(rooms[i]):
                listing = await call("POST", "/listings", token, **room)
                first_rooms.setdefault(name, (listing["id"], hospital_id))
                # Rendered now (clearly illustrations): nothing can be downloaded here.
                for data, alt_text in demo_photos(listing["title"], seed=i * 4 + j):
                    form = aiohttp.FormData()
                    form.add_field("alt_text", alt_text)
                    form.add_field("file", data, filename="illustration.jpg", content_type="image/jpeg")
                    async with http.post(
                        f"{api}/listings/{listing['id']}/photos",
                        data=form,
                        headers={"Authorization": f"Bearer {token}"},
                    ) as r:
                        if r.status != 201:
                            raise RuntimeError(f"photo upload: {r.status} {await r.text()}")
            logins.append((email, "host"))
            progress(1)
        for name, specialty, country, langs, school in STUDENTS:
            email = email_for(name)
            student = await call(
                "POST", "/auth/signup", email=email, password=PASSWORD, display_name=name, role="student"
            )
            await confirm(email)
            await call(
                "PATCH",
                "/me/profile",
                student["token"],
                specialties=[specialty],
                school_country=country,
                languages=langs,
                medical_school=school,
                graduation_year=today.year + 1,
            )
            people[name] = (student["user"]["id"], student["token"])
            # A four-week rotation a month from now, at the hospital of the host who
            # shares the student's specialty: room and mentor matches show at once.
            hospital_id = HOSPITALS[[h[1] for h in HOSTS].index(specialty) % len(HOSPITALS)][0]
            await call(
                "POST",
                "/rotations",
                student["token"],
                hospital_id=hospital_id,
                specialty=specialty,
                start_date=str(today + timedelta(days=30)),
                end_date=str(today + timedelta(days=58)),
                monthly_budget=1500,
                room_types=["private_room", "entire_place"],
                amenities=["wifi", "desk"],
            )
            logins.append((email, "student"))
            progress(1)
        # A pending booking request: Dr. Okafor gets its notification and conversation.
        listing_id, hospital_id = first_rooms["Dr. Amara Okafor"]
        await call(
            "POST",
            f"/listings/{listing_id}/bookings",
            people["Chidi Eze"][1],
            check_in=str(today + timedelta(days=30)),
            check_out=str(today + timedelta(days=58)),
            message="Hello Dr. Okafor! I have a cardiology rotation at Johns Hopkins for these four weeks.",
            hospital_id=hospital_id,
        )
        # Two accepted stays with Dr. Romero: one paid (confirmed, its money held), one
        # awaiting its payment.
        await _paid_and_unpaid(call, people, first_rooms["Dr. Luis Romero"][0], today, stripe_url)
        # A mentorship request, once matching has heard (from events) that the mentor mentors.
        mentor_id, _ = people["Dr. Luis Romero"]
        for _ in range(100):
            try:
                await call(
                    "POST",
                    "/mentorships",
                    people["Sofia Alvarez"][1],
                    mentor_id=mentor_id,
                    message="Dr. Romero, would you mentor me during my internal medicine rotation?",
                )
                break
            except RuntimeError as exc:
                if " 404 " not in str(exc):
                    raise
                await asyncio.sleep(0.1)
        for student_name, host_name, lines in CONVERSATIONS:
            student_token, (host_id, host_token) = people[student_name][1], people[host_name]
            started = await call("POST", "/conversations", student_token, user_id=host_id, body=lines[0])
            for i, line in enumerate(lines[1:], start=1):
                token = host_token if i % 2 else student_token
                await call("POST", f"/conversations/{started['id']}/messages", token, body=line)
        progress(1)
    return {"password": PASSWORD, "logins": logins, "admin": ADMIN}


async def _paid_and_unpaid(
    call: Callable[..., Any], people: dict[str, tuple[str, str]], listing_id: str, today: date, stripe_url: str | None
) -> None:
    host_token = people["Dr. Luis Romero"][1]
    stays = [("Sofia Alvarez", 40, 68), ("Arjun Mehta", 75, 103)]
    booked = []
    for student, start, end in stays:
        booking = await call(
            "POST",
            f"/listings/{listing_id}/bookings",
            people[student][1],
            check_in=str(today + timedelta(days=start)),
            check_out=str(today + timedelta(days=end)),
            message="Hello Dr. Romero, I have an internal medicine rotation nearby on these dates.",
        )
        await call("POST", f"/bookings/{booking['id']}/accept", host_token)
        booked.append(booking["id"])
    if stripe_url is None:
        return
    # What the browser does with Stripe.js, done against the local Stripe server.
    for _ in range(100):  # payments hears of the acceptance through an event
        try:
            await call("POST", f"/bookings/{booked[0]}/pay", people["Sofia Alvarez"][1])
            break
        except RuntimeError as exc:
            if " 404 " not in str(exc) and " 409 " not in str(exc):
                raise
            await asyncio.sleep(0.1)
    else:
        raise RuntimeError("payments never heard of the demo's accepted stay")
    async with aiohttp.ClientSession(headers={"Authorization": "Bearer sk_test_demo"}) as stripe:
        card = {"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2040, "cvc": "123"}}
        async with stripe.post(f"{stripe_url}/v1/payment_methods", json=card) as r:
            method = (await r.json())["id"]
        await call("POST", f"/bookings/{booked[0]}/pay", people["Sofia Alvarez"][1], payment_method=method)


DEMO_STEPS = 1 + len(HOSTS) + len(STUDENTS) + 1
