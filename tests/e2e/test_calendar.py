"""The private calendar feed and the .ics of a confirmed stay, parsed with ``icalendar``:
stable UIDs with a growing SEQUENCE, cancelled stays, rotations, mentorship meetings,
another user's token, and rotation of the link."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import timedelta
from typing import Any

import asyncpg
from icalendar import Calendar

from services.listings import jobs as listing_jobs
from services.listings.handlers.calendar import FEED_LIMIT as CALENDAR_FEED_STAYS
from services.payments import jobs as payment_jobs
from services.payments.stripe_api import StripeApi
from services.runner import Stack
from shared.db import create_pool
from tests.api import PASSWORD, Api, User, link_token, random_email
from tests.e2e.helpers import JHH, create_listing, future, pay_intent, request_stay, start_payment
from tests.e2e.mentoring import accepted_pair, at
from tests.e2e.payments import accepted_booking, moved_clock, paid_booking, status_of
from tests.eventually import eventually

STAY_ADDRESS = "1800 E Monument St, Baltimore, MD"  # create_listing's
NEW_PASSWORD = "a-brand-new-passphrase"
NEW_ADDRESS = "600 N Wolfe St, Baltimore, MD"


async def feed(api: Api, url: str) -> tuple[int, dict[str, Any]]:
    """The feed at ``url`` (no session: calendar apps have none), its events by UID."""
    assert api.http is not None
    async with api.http.get(url) as r:
        if r.status != 200:
            return r.status, {}
        assert r.content_type == "text/calendar"
        cal = Calendar.from_ical(await r.read())
    return 200, {str(event["UID"]): event for event in cal.walk("VEVENT")}


async def feed_url(api: Api, user: User) -> str:
    r = await api.call("GET", "/me/calendar", user)
    assert r.status == 200 and r.body["url"].endswith(".ics"), r.body
    return str(r.body["url"])


async def test_stays_keep_their_uid_and_raise_their_sequence(api: Api, stack: Stack) -> None:
    """A confirmed stay is in both parties' feeds (the address for the guest once
    confirmed); moving it keeps its UID with a higher SEQUENCE; the confirmation mail
    carries it as an .ics; cancelled, it stays as STATUS:CANCELLED, and the cancellation's
    mails carry it so."""
    host = await api.signup("professional", "Dr. Cal Host")
    guest = await api.signup("student", "Cal Guest")
    listing = await create_listing(api, host, title="Calendar room", min_stay_nights=7)
    stay = (await request_stay(api, guest, listing["id"], start=30, nights=28)).body
    uid = f"booking-{stay['id']}@wardmate"

    guest_url, host_url = await feed_url(api, guest), await feed_url(api, host)
    _, events = await feed(api, guest_url)
    assert str(events[uid]["STATUS"]) == "TENTATIVE" and "LOCATION" not in events[uid]

    assert (await api.call("POST", f"/bookings/{stay['id']}/accept", host)).status == 200
    # Accepted is not yet paid (issue #16): tentative, no address, until the guest pays.
    _, events = await feed(api, guest_url)
    assert str(events[uid]["STATUS"]) == "TENTATIVE" and "LOCATION" not in events[uid]
    assert stack.stripe is not None
    intent = await start_payment(api, guest, stay["id"])
    assert intent.status == 200, intent.body
    await pay_intent(api, stack.stripe.url, intent.body["payment_intent_id"])

    async def paid() -> Any:
        _, events = await feed(api, guest_url)
        return events if str(events[uid]["STATUS"]) == "CONFIRMED" else None

    events = await eventually(paid, 15, what="the paid stay confirmed in the feed")
    confirmed = events[uid]
    assert str(confirmed["STATUS"]) == "CONFIRMED"
    assert str(confirmed["LOCATION"]) == STAY_ADDRESS
    assert confirmed.decoded("DTSTART").isoformat() == future(30)
    assert confirmed.decoded("DTEND").isoformat() == future(58)
    # The stay's own card, and its days as people write them ("2027-01-05" read as a log).
    assert str(confirmed["URL"]).endswith(f"/#/bookings?booking={stay['id']}")
    assert "(28 nights; you leave on the check-out morning)" in str(confirmed["DESCRIPTION"])
    assert "Host: Dr. Cal Host." in str(confirmed["DESCRIPTION"])
    assert not re.search(r"\d{4}-\d\d-\d\d", str(confirmed["DESCRIPTION"])), confirmed["DESCRIPTION"]
    _, hosting = await feed(api, host_url)
    # A host's stays name their guest: two guests in one room read apart.
    assert str(hosting[uid]["SUMMARY"]) == "Hosting Cal Guest: Calendar room"
    assert "Guest: Cal Guest." in str(hosting[uid]["DESCRIPTION"])
    assert "your guest leaves on the check-out morning" in str(hosting[uid]["DESCRIPTION"])

    [mail] = await api.mail(guest.email, "A stay is paid and confirmed")
    [attachment] = mail.attachments()
    assert attachment.get_content_type() == "text/calendar" and attachment.get_filename() == "stay.ics"
    invite = Calendar.from_ical(attachment.get_content())
    [event] = invite.walk("VEVENT")
    assert str(event["UID"]) == uid and str(invite["METHOD"]) == "PUBLISH"
    assert "Host: Dr. Cal Host." in str(event["DESCRIPTION"])
    [host_mail] = await api.mail(host.email, "A stay is paid and confirmed")
    [host_event] = Calendar.from_ical(host_mail.attachments()[0].get_content()).walk("VEVENT")
    assert str(host_event["SUMMARY"]) == "Hosting Cal Guest: Calendar room"

    shift = f"/bookings/{stay['id']}/shift"
    assert (await api.call("POST", shift, guest, json={"check_in": future(37), "check_out": future(65)})).status == 200
    assert (await api.call("POST", f"{shift}/accept", host)).status == 200
    _, events = await feed(api, guest_url)
    moved = events[uid]
    assert moved.decoded("DTSTART").isoformat() == future(37)
    assert int(moved["SEQUENCE"]) > int(confirmed["SEQUENCE"])

    assert (await api.call("POST", f"/bookings/{stay['id']}/cancel", guest)).status == 200
    _, events = await feed(api, guest_url)
    assert str(events[uid]["STATUS"]) == "CANCELLED"
    assert int(events[uid]["SEQUENCE"]) > int(moved["SEQUENCE"])
    # The stay the mails added is taken out by the cancellation's: the host's notice and the
    # guest's refund carry it as cancelled, with the feed's SEQUENCE (it stayed in the
    # calendars of whoever had added it from a mail).
    for reader, subject in ((host, "Booking cancelled"), (guest, "A refund is on its way")):
        [cancelled_mail] = await api.mail(reader.email, subject)
        [attachment] = cancelled_mail.attachments()
        assert attachment.get_filename() == "stay.ics", (reader.email, subject)
        [event] = Calendar.from_ical(attachment.get_content()).walk("VEVENT")
        assert str(event["UID"]) == uid and str(event["STATUS"]) == "CANCELLED"
        assert int(event["SEQUENCE"]) == int(events[uid]["SEQUENCE"])


async def test_the_stay_mail_carries_its_ics_past_500_newer_bookings(api: Api, stack: Stack) -> None:
    """The .ics of a confirmed stay's mail is that one booking, asked of listings by id:
    it was looked for among the feed's 500 newest stays, so a host (or guest) with 500
    newer bookings got the mail without its stay.ics."""
    _, guest, booking = await accepted_booking(api)
    pool = await create_pool(stack.service_url("listings"), "listings", size=1)
    try:
        await pool.executemany(
            "INSERT INTO bookings(id, listing_id, guest_id, host_id, stay, total_cents, status, expires_at, created_at)"
            " SELECT $1, listing_id, guest_id, host_id, stay, total_cents, 'declined', expires_at,"
            " created_at + make_interval(secs => $2) FROM bookings WHERE id = $3",
            [(uuid.uuid4(), n, uuid.UUID(booking["id"])) for n in range(1, CALENDAR_FEED_STAYS + 1)],
        )
    finally:
        await pool.close()
    assert stack.stripe is not None
    intent = await start_payment(api, guest, booking["id"])
    assert intent.status == 200, intent.body
    await pay_intent(api, stack.stripe.url, intent.body["payment_intent_id"])
    [mail] = await api.mail(guest.email, "A stay is paid and confirmed")
    [attachment] = mail.attachments()
    assert attachment.get_filename() == "stay.ics"
    [event] = Calendar.from_ical(attachment.get_content()).walk("VEVENT")
    assert str(event["UID"]) == f"booking-{booking['id']}@wardmate"
    assert str(event["LOCATION"]) == STAY_ADDRESS


async def test_a_past_guest_keeps_the_address_they_stayed_at(api: Api, stack: Stack) -> None:
    """Once a paid stay is over and the host moves the room, the guest's feed (and their
    booking) still show the address they stayed at, never the room's new one; the listing
    page shows them the exact address no longer."""
    host, guest, booking = await paid_booking(api, stack)
    uid = f"booking-{booking['id']}@wardmate"
    # The stay is over: its dates moved into the past, and listings' own sweep completes it.
    pool = await create_pool(stack.service_url("listings"), "listings", size=1)
    try:
        await pool.execute(
            "UPDATE bookings SET stay = daterange(current_date - 30, current_date - 2) WHERE id = $1",
            uuid.UUID(booking["id"]),
        )
        await listing_jobs.sweep_bookings(pool)
    finally:
        await pool.close()
    assert await status_of(api, guest, booking["id"]) == "completed"
    moved = await api.call("PATCH", f"/listings/{booking['listing_id']}", host, json={"address": NEW_ADDRESS})
    assert moved.status == 200 and moved.body["location"]["address"] == NEW_ADDRESS, moved.body

    _, events = await feed(api, await feed_url(api, guest))
    assert str(events[uid]["STATUS"]) == "CONFIRMED"
    assert str(events[uid]["LOCATION"]) == STAY_ADDRESS
    mine = (await api.call("GET", "/me/bookings", guest)).body["items"]
    assert next(b for b in mine if b["id"] == booking["id"])["address"] == STAY_ADDRESS
    listing = await api.call("GET", f"/listings/{booking['listing_id']}", guest)
    assert listing.status == 200 and listing.body["location"]["address"] is None, listing.body
    # The host's own record of that stay is where it was too.
    _, hosting = await feed(api, await feed_url(api, host))
    assert str(hosting[uid]["LOCATION"]) == STAY_ADDRESS


async def test_a_guest_who_never_paid_sees_no_exact_address(api: Api, stack: Stack, payments_db: asyncpg.Pool) -> None:
    """A stay accepted but never paid has no LOCATION in the guest's feed, neither before
    nor after it expires unpaid at its deadline (a moved clock), nor does a declined one;
    the host's feed has the address all along."""
    host, guest, booking = await accepted_booking(api)
    uid = f"booking-{booking['id']}@wardmate"
    guest_url, host_url = await feed_url(api, guest), await feed_url(api, host)
    _, events = await feed(api, guest_url)
    assert str(events[uid]["STATUS"]) == "TENTATIVE" and "LOCATION" not in events[uid]
    await start_payment(api, guest, booking["id"])
    settings = moved_clock(stack, timedelta(hours=49))
    stripe = StripeApi(settings)
    try:
        await payment_jobs.expire_unpaid(payments_db, stripe, settings)
    finally:
        await stripe.close()

    async def expired() -> bool:
        return await status_of(api, guest, booking["id"]) == "expired"

    await eventually(expired, 15, what="the unpaid stay expired")
    _, events = await feed(api, guest_url)
    assert str(events[uid]["STATUS"]) == "CANCELLED" and "LOCATION" not in events[uid]
    _, hosting = await feed(api, host_url)
    assert str(hosting[uid]["LOCATION"]) == STAY_ADDRESS

    declined = (await request_stay(api, guest, booking["listing_id"], start=80)).body
    assert (await api.call("POST", f"/bookings/{declined['id']}/decline", host)).status == 200
    _, events = await feed(api, guest_url)
    declined_uid = f"booking-{declined['id']}@wardmate"
    assert str(events[declined_uid]["STATUS"]) == "CANCELLED" and "LOCATION" not in events[declined_uid]


async def test_rotations_are_in_the_feed_and_tokens_are_private(api: Api) -> None:
    """A student's rotation is an all-day event; another user's feed never holds it;
    rotating the link turns the old one into a 404; a made-up token is a 404."""
    student, other = await api.signup("student"), await api.signup("student")
    body = {"hospital_id": JHH, "specialty": "cardiology", "start_date": future(40), "end_date": future(68)}
    rotation = await api.call("POST", "/rotations", student, json=body)
    assert rotation.status == 201, rotation.body
    uid = f"rotation-{rotation.body['id']}@wardmate"

    url = await feed_url(api, student)
    status, events = await feed(api, url)
    # Named as the pages name it, not as the registry shouts it or as the specialty is stored.
    assert status == 200 and str(events[uid]["SUMMARY"]) == "Rotation: Cardiology at The Johns Hopkins Hospital"
    # Where it is, for the calendar's map: the hospital and its town, and its position.
    assert str(events[uid]["LOCATION"]) == "The Johns Hopkins Hospital, Baltimore, MD 21287"
    # The end date is the move-out day, exclusive as a stay's check-out is (it ran a day on).
    assert events[uid].decoded("DTSTART").isoformat() == future(40)
    assert events[uid].decoded("DTEND").isoformat() == future(68)
    latitude, longitude = events[uid].decoded("GEO")
    assert (round(latitude, 2), round(longitude, 2)) == (39.3, -76.59), (latitude, longitude)
    _, others = await feed(api, await feed_url(api, other))
    assert uid not in others

    rotated = await api.call("POST", "/me/calendar/rotate", student)
    assert rotated.status == 200 and rotated.body["url"] != url
    assert (await feed(api, url))[0] == 404
    assert uid in (await feed(api, rotated.body["url"]))[1]
    assert (await feed(api, url.rsplit("/", 1)[0] + "/not-a-real-token-at-all.ics"))[0] == 404


async def test_concurrent_rotations_leave_the_link_of_one_answer(api: Api) -> None:
    """Four rotations at once (four tabs): each answers a new link, the stored one (what
    GET /me/calendar says, and the only one that works) is one of those answers, the
    latest (the generation's UPDATE ... RETURNING serialises them on the user's row), and
    every other answer is a 404."""
    user = await api.signup("student")
    first = await feed_url(api, user)
    answers = await asyncio.gather(*(api.call("POST", "/me/calendar/rotate", user) for _ in range(4)))
    assert [r.status for r in answers] == [200] * 4, [r.body for r in answers]
    urls = [r.body["url"] for r in answers]
    assert len({*urls, first}) == 5, urls
    stored = await feed_url(api, user)
    assert stored in urls
    for url in [*urls, first]:
        assert (await feed(api, url))[0] == (200 if url == stored else 404), url


async def test_a_new_password_replaces_the_calendar_link_and_a_new_address_keeps_it(api: Api) -> None:
    """The feed's link is a credential that outlives sessions: a password reset and a
    password change replace it (the old link answers 404, the new one works, and the
    "password changed" mail says so); an address change keeps it."""
    user = await api.signup("student")
    url = await feed_url(api, user)
    new_email = random_email("moved")
    await api.call("POST", "/me/email", user, json={"password": PASSWORD, "new_email": new_email})
    [change] = await api.mail(new_email, "Confirm your new Wardmate address")
    confirmed = await api.call("POST", "/auth/confirm-email", json={"token": link_token(change.link("confirm-email"))})
    assert confirmed.status == 200 and (await feed(api, url))[0] == 200

    assert (await api.call("POST", "/auth/password-reset", json={"email": new_email})).status == 202
    [reset] = await api.mail(new_email, "Reset your Wardmate password")
    token = link_token(reset.link("reset-password"))
    done = await api.call("POST", "/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD})
    assert done.status == 200, done.body
    assert (await feed(api, url))[0] == 404
    [changed] = await api.mail(new_email, "Your Wardmate password was changed")
    assert "calendar link was replaced" in changed.part("text/plain")

    login = await api.call("POST", "/auth/login", json={"email": new_email, "password": NEW_PASSWORD})
    user = User(user.id, login.body["token"], new_email, user.role)
    after_reset = await feed_url(api, user)
    assert after_reset != url and (await feed(api, after_reset))[0] == 200
    body = {"current_password": NEW_PASSWORD, "new_password": PASSWORD}
    assert (await api.call("POST", "/me/password", user, json=body)).status == 200
    assert (await feed(api, after_reset))[0] == 404
    assert (await feed(api, await feed_url(api, user)))[0] == 200


async def test_a_scheduled_mentorship_meeting_is_in_both_feeds(api: Api) -> None:
    """Once a proposed time is accepted, the meeting is a timed event in the student's and
    the mentor's feeds, with its place, titled with the other side's name (it said
    "Mentorship meeting" alone: two mentors' meetings looked the same); cancelled, it stays
    as CANCELLED with a higher SEQUENCE; once the other side deleted their account, it is
    a meeting with "Deleted user"."""
    student, mentor, mentorship_id = await accepted_pair(api)
    options = [at(days=2, hours=1), at(days=3, hours=1)]
    proposed = await api.call(
        "POST",
        f"/mentorships/{mentorship_id}/meetings",
        mentor,
        json={"options": options, "place": "Cafeteria, 2nd floor", "duration_minutes": 30},
    )
    assert proposed.status == 201, proposed.body
    meeting_id = proposed.body["meetings"][0]["id"]
    uid = f"meeting-{meeting_id}@wardmate"
    assert uid not in (await feed(api, await feed_url(api, student)))[1]  # no time yet

    accepted = await api.call("POST", f"/meetings/{meeting_id}/accept", student, json={"starts_at": options[1]})
    assert accepted.status == 200, accepted.body
    for user, other in ((student, "Dr. Grace Mentor"), (mentor, "Ada Student")):
        _, events = await feed(api, await feed_url(api, user))
        assert str(events[uid]["SUMMARY"]) == f"Mentorship meeting with {other}"
        assert str(events[uid]["LOCATION"]) == "Cafeteria, 2nd floor"
        assert str(events[uid]["URL"]).endswith(f"/#/mentorships/{mentorship_id}")  # the plan, not the list
        assert events[uid].decoded("DTSTART").isoformat().replace("+00:00", "Z") == options[1]
        assert (events[uid].decoded("DTEND") - events[uid].decoded("DTSTART")).total_seconds() == 30 * 60
    scheduled = events[uid]

    cancelled = await api.call("POST", f"/meetings/{meeting_id}/cancel", mentor)
    assert cancelled.status == 200, cancelled.body
    _, events = await feed(api, await feed_url(api, student))
    assert str(events[uid]["STATUS"]) == "CANCELLED"
    assert int(events[uid]["SEQUENCE"]) > int(scheduled["SEQUENCE"])

    assert (await api.call("DELETE", "/me", student, json={"password": PASSWORD})).status == 200
    _, events = await feed(api, await feed_url(api, mentor))
    assert str(events[uid]["SUMMARY"]) == "Mentorship meeting with Deleted user"


async def test_ending_a_mentorship_cancels_its_meetings_in_both_feeds(api: Api) -> None:
    """Ending a mentorship cancels its scheduled meeting (STATUS:CANCELLED with a higher
    SEQUENCE in both feeds; the other side is told, at its time) and its proposals, which
    are nobody's turn any more; nothing is left to cancel or answer."""
    student, mentor, mentorship_id = await accepted_pair(api)
    meetings = f"/mentorships/{mentorship_id}/meetings"
    options = [at(days=4, hours=1)]
    first = await api.call(
        "POST", meetings, mentor, json={"options": options, "place": "Library", "duration_minutes": 45}
    )
    scheduled_id = first.body["meetings"][0]["id"]
    accepted = await api.call("POST", f"/meetings/{scheduled_id}/accept", student, json={"starts_at": options[0]})
    assert accepted.status == 200, accepted.body
    assert (await api.call("POST", meetings, mentor, json={"options": [at(days=5)]})).status == 201
    assert (await api.call("POST", meetings, student, json={"options": [at(days=6)]})).status == 201
    uid = f"meeting-{scheduled_id}@wardmate"
    urls = {user.id: await feed_url(api, user) for user in (student, mentor)}
    before = {}
    for user_id, url in urls.items():
        _, events = await feed(api, url)
        assert str(events[uid]["STATUS"]) == "CONFIRMED"
        before[user_id] = int(events[uid]["SEQUENCE"])

    assert (await api.call("POST", f"/mentorships/{mentorship_id}/end", mentor)).status == 200

    plan = (await api.call("GET", f"/mentorships/{mentorship_id}/plan", student)).body
    assert plan["status"] == "ended"
    assert [(m["status"], m["your_turn"]) for m in plan["meetings"]] == [("cancelled", False)] * 3
    assert plan["meetings"][0]["starts_at"]["utc"].replace("+00:00", "Z") == options[0]
    for user_id, url in urls.items():
        _, events = await feed(api, url)
        assert str(events[uid]["STATUS"]) == "CANCELLED"
        assert int(events[uid]["SEQUENCE"]) > before[user_id]
        assert [key for key in events if key.startswith("meeting-")] == [uid]  # proposals never had a time
    refused = await api.call("POST", f"/meetings/{scheduled_id}/cancel", student)
    assert refused.status == 409, refused.body

    async def told() -> list[dict[str, Any]]:
        r = await api.call("GET", "/notifications", student, params={"limit": "100"})
        return [n for n in r.body["items"] if n["kind"] in ("meeting_cancelled", "mentorship_ended")]

    notices = await eventually(
        told, 15, what="the student told of the end and the cancelled meeting", until=lambda n: len(n) >= 2
    )
    # One notice for the meeting they had agreed to (at its time), none per proposal.
    [cancelled] = [n for n in notices if n["kind"] == "meeting_cancelled"]
    assert "ended the mentorship" in cancelled["text"], cancelled
    assert sum(n["kind"] == "mentorship_ended" for n in notices) == 1
    mentor_notes = (await api.call("GET", "/notifications", mentor, params={"limit": "100"})).body["items"]
    assert not any(n["kind"] == "meeting_cancelled" for n in mentor_notes)


async def test_a_stay_never_paid_is_cancelled_without_an_ics(api: Api) -> None:
    """Accepted, unpaid, then cancelled by its host: no mail ever added it to a calendar
    (accepted is tentative, mailed without one), so the guest's notice carries none."""
    host, guest, booking = await accepted_booking(api)
    cancelled = await api.call("POST", f"/bookings/{booking['id']}/cancel", host)
    assert cancelled.status == 200 and cancelled.body["status"] == "cancelled", cancelled.body
    [mail] = await api.mail(guest.email, "Booking cancelled")
    assert mail.attachments() == [], [a.get_filename() for a in mail.attachments()]
