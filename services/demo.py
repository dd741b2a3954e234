"""Demo data, loaded through the public API like any client would: hosts with rooms
around real teaching hospitals, verified by an operator, and students with profiles."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import aiohttp

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

ROOM_TITLES = ["Quiet private room", "Sunny room with desk", "Entire studio", "Cozy room", "Room in shared flat"]
AMENITIES = ["wifi", "desk", "laundry", "parking", "kitchen", "private_bath", "air_conditioning"]


def email_for(name: str) -> str:
    return name.lower().replace("dr. ", "").replace("nurse ", "").replace(" ", ".") + "@demo.wardmate.test"


async def load_demo(base_url: str, progress: Callable[[int], None], seed: int = 7) -> dict[str, Any]:
    """Create the demo through the API; ``progress(n)`` is called after each step."""
    rng = random.Random(seed)
    api = base_url.rstrip("/") + "/api/v1"
    today = date.today()
    logins: list[tuple[str, str]] = []
    async with aiohttp.ClientSession() as http:

        async def call(method: str, path: str, token: str | None = None, **body: Any) -> Any:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            async with http.request(method, api + path, json=body or None, headers=headers) as r:
                data = await r.json()
                if r.status >= 400:
                    raise RuntimeError(f"{method} {path}: {r.status} {data}")
                return data

        admin = await call("POST", "/auth/login", email=ADMIN[0], password=ADMIN[1])
        progress(1)
        for i, (name, specialty, country, langs, orgs, school) in enumerate(HOSTS):
            email = email_for(name)
            host = await call(
                "POST", "/auth/signup", email=email, password=PASSWORD, display_name=name, role="professional"
            )
            token = host["token"]
            hospital_id, lat, lon, city = HOSPITALS[i % len(HOSPITALS)]
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
            await call("POST", "/me/verification", token, npi="1234567893")
            if i != 3:  # leave one host unverified so the badge's absence shows too
                await call("POST", f"/admin/verifications/{host['user']['id']}", admin["token"])
            for j in range(4):
                # Within ~3 km of the hospital: the distance a student can walk or bus daily.
                dlat, dlon = rng.uniform(-0.025, 0.025), rng.uniform(-0.03, 0.03)
                await call(
                    "POST",
                    "/listings",
                    token,
                    title=f"{rng.choice(ROOM_TITLES)} near {city} hospital",
                    description="Furnished, quiet, ideal for a 2-4 week rotation. Linens included.",
                    room_type=rng.choice(["private_room", "private_room", "entire_place", "shared_room"]),
                    address=f"{100 + 7 * j} Demo Street, {city}",
                    latitude=round(lat + dlat, 6),
                    longitude=round(lon + dlon, 6),
                    monthly_rent=rng.randrange(700, 2200, 50),
                    amenities=rng.sample(AMENITIES, 3),
                    house_rules="No smoking. Quiet after 10pm.",
                    available_from=str(today),
                    available_to=str(today + timedelta(days=365)),
                    min_stay_nights=rng.choice([7, 14, 14, 21]),
                )
            logins.append((email, "host"))
            progress(1)
        for name, specialty, country, langs, school in STUDENTS:
            email = email_for(name)
            student = await call(
                "POST", "/auth/signup", email=email, password=PASSWORD, display_name=name, role="student"
            )
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
            logins.append((email, "student"))
            progress(1)
    return {"password": PASSWORD, "logins": logins, "admin": ADMIN}


DEMO_STEPS = 1 + len(HOSTS) + len(STUDENTS)
