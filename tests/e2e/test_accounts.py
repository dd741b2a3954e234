"""Accounts through the gateway: sessions, cookies and CSRF, rate limits, profiles, badges."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import aiohttp
import asyncpg
import pytest
from yarl import URL

from services.accounts.admin import ensure_admin
from services.demo import ADMIN
from services.runner import Stack
from shared import bus, subjects
from shared.contracts.accounts import LoginReply, npi_is_valid
from shared.contracts.base import Actor
from shared.errors import AppError
from tests import samples
from tests.api import PASSWORD, Api, User, random_email
from tests.e2e.helpers import create_listing, listing_body, request_stay
from tests.e2e.test_matching import rotation
from tests.eventually import eventually

CARSON_CITY = ("carson-tahoe-regional-medical-center-carson-city-nv", 39.202120, -119.784383)


async def test_emails_are_case_insensitive_and_unique(api: Api) -> None:
    """Signing up twice with the same email in another case is a 409."""
    email = random_email()
    first = await api.call(
        "POST",
        "/auth/signup",
        json={"email": email.upper(), "password": PASSWORD, "display_name": "A", "role": "student"},
    )
    assert first.status == 201 and first.body["user"]["email"] == email
    again = await api.call(
        "POST", "/auth/signup", json={"email": email, "password": PASSWORD, "display_name": "B", "role": "student"}
    )
    assert again.status == 409 and again.error_code == "conflict"
    login = await api.call("POST", "/auth/login", json={"email": email.title(), "password": PASSWORD})
    assert login.status == 200 and login.body["token"]


async def test_an_address_is_one_mail_can_be_delivered_to(api: Api) -> None:
    """An address with other than ASCII before the @ is a 400 saying why (the mailer could
    never send its confirmation: the account was made and stayed unconfirmed for good). A
    domain in another script is kept in the ASCII form mail uses: its confirmation mail
    arrives, and the address typed either way logs in and is one account."""
    name = uuid.uuid4().hex[:8]

    def body(email: str) -> dict[str, Any]:
        return {"email": email, "password": PASSWORD, "display_name": "Zoë", "role": "student"}

    refused = await api.call("POST", "/auth/signup", json=body(f"zoë-{name}@example.org"))
    assert refused.status == 400 and refused.error_code == "validation", refused.body
    [field] = refused.body["error"]["details"]
    assert field["field"] == "email" and "ASCII letters" in field["message"], field

    typed = f"Zoe-{name}@München-Klinik.de"
    made = await api.call("POST", "/auth/signup", json=body(typed))
    assert made.status == 201, made.body
    stored = f"zoe-{name}@xn--mnchen-klinik-wob.de"
    assert made.body["user"]["email"] == stored
    user = User(made.body["user"]["id"], made.body["token"], stored, "student")
    await api.verify(user)  # the mail reached the stored address
    login = await api.call("POST", "/auth/login", json={"email": f"zoe-{name}@MÜNCHEN-klinik.de", "password": PASSWORD})
    assert login.status == 200 and login.body["user"]["id"] == user.id, login.body
    again = await api.call("POST", "/auth/signup", json=body(stored))
    assert again.status == 409 and again.error_code == "conflict"


async def test_login_failures_are_vague_and_rate_limited(api: Api) -> None:
    """Wrong password and unknown email read the same; repeated failures get 429."""
    user = await api.signup()
    wrong = await api.call("POST", "/auth/login", json={"email": user.email, "password": "wrong-password"})
    unknown = await api.call("POST", "/auth/login", json={"email": random_email(), "password": "wrong-password"})
    assert wrong.status == unknown.status == 401
    assert wrong.body["error"]["message"] == unknown.body["error"]["message"]
    for _ in range(4):
        await api.call("POST", "/auth/login", json={"email": user.email, "password": "wrong-password"})
    limited = await api.call("POST", "/auth/login", json={"email": user.email, "password": PASSWORD})
    assert limited.status == 429 and limited.error_code == "rate_limited"


async def test_a_strangers_failed_logins_do_not_lock_the_owner_out(api: Api, stack: Stack) -> None:
    """Five wrong passwords from anywhere locked the account for 15 minutes, for its owner
    too, and the 429 always said the whole window. The lock now holds the address the
    failures came from; the owner logs in from theirs, and the 429 says how long is left."""
    user = await api.signup()
    assert stack.nats_url
    nc = await bus.connect(stack.nats_url, "lockout-test")
    try:
        stranger, owner = "203.0.113.140", "203.0.113.141"  # documentation addresses
        for _ in range(5):
            with pytest.raises(AppError) as failed:
                body = {"email": user.email, "password": "nope-nope", "client_address": stranger}
                await bus.request(nc, subjects.LOGIN, body, LoginReply)
            assert failed.value.code == "unauthorized"
        with pytest.raises(AppError) as blocked:
            body = {"email": user.email, "password": PASSWORD, "client_address": stranger}
            await bus.request(nc, subjects.LOGIN, body, LoginReply)
        assert blocked.value.code == "rate_limited"
        assert blocked.value.message.startswith("Too many failed logins: try again in 15 minutes"), blocked.value
        assert "Forgot password?" in blocked.value.message
        assert 800 < blocked.value.details["retry_after_s"] <= 900, blocked.value.details
        ok = await bus.request(
            nc, subjects.LOGIN, {"email": user.email, "password": PASSWORD, "client_address": owner}, LoginReply
        )
        assert ok.token
    finally:
        await nc.close()


async def test_logout_revokes_at_once(api: Api) -> None:
    """After logout the same token is refused immediately, despite the gateway's cache."""
    user = await api.signup()
    assert (await api.call("GET", "/me", user)).status == 200  # now cached by the gateway
    out = await api.call("POST", "/auth/logout", user)
    assert out.status == 200
    after = await api.call("GET", "/me", user)
    assert after.status == 401 and after.error_code == "unauthorized"


async def test_cookie_session_needs_csrf_header_for_writes(stack: Stack) -> None:
    """A browser session works by cookie; its writes need the CSRF header echoing the cookie."""
    # unsafe=True: the jar otherwise ignores cookies set by an IP address like 127.0.0.1.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        email = random_email()
        async with http.post(
            f"{stack.url}/api/v1/auth/signup",
            json={"email": email, "password": PASSWORD, "display_name": "C", "role": "student"},
        ) as r:
            assert r.status == 201
            cookie = r.cookies["wardmate_session"]
            assert cookie["httponly"] and cookie["samesite"] == "Strict"
        async with http.get(f"{stack.url}/api/v1/me") as r:
            assert r.status == 200 and (await r.json())["user"]["email"] == email
        async with http.patch(f"{stack.url}/api/v1/me/profile", json={"bio": "hi"}) as r:
            assert r.status == 403
        csrf = http.cookie_jar.filter_cookies(URL(stack.url))["wardmate_csrf"].value
        async with http.patch(
            f"{stack.url}/api/v1/me/profile", json={"bio": "hi"}, headers={"X-CSRF-Token": csrf}
        ) as r:
            assert r.status == 200 and (await r.json())["profile"]["bio"] == "hi"


async def test_the_csrf_token_is_bound_to_its_session(stack: Stack) -> None:
    """The CSRF token is the session's own: another session's token, or a value planted
    in the CSRF cookie and echoed back (the plain double submit accepted any pair), is a
    403 with nothing written; a session whose CSRF cookie is not its token gets it with
    its next answer, and its writes pass again."""

    async def browser(name: str) -> tuple[aiohttp.ClientSession, str]:
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        body = {"email": random_email(), "password": PASSWORD, "display_name": name, "role": "student"}
        async with http.post(f"{stack.url}/api/v1/auth/signup", json=body) as r:
            assert r.status == 201
        return http, http.cookie_jar.filter_cookies(URL(stack.url))["wardmate_csrf"].value

    async def set_bio(http: aiohttp.ClientSession, csrf: str, bio: str) -> int:
        async with http.patch(f"{stack.url}/api/v1/me/profile", json={"bio": bio}, headers={"X-CSRF-Token": csrf}) as r:
            return r.status

    async def bio(http: aiohttp.ClientSession) -> str | None:
        async with http.get(f"{stack.url}/api/v1/me") as r:
            assert r.status == 200
            return (await r.json())["profile"].get("bio")

    (ada, ada_csrf), (bo, bo_csrf) = await browser("Ada"), await browser("Bo")
    try:
        assert ada_csrf != bo_csrf
        # Bo's token on Ada's session.
        assert await set_bio(ada, bo_csrf, "from Bo's page") == 403
        # A value planted in Ada's CSRF cookie (as a sibling subdomain can) and echoed.
        ada.cookie_jar.update_cookies({"wardmate_csrf": "planted-by-someone-else"}, URL(stack.url))
        assert await set_bio(ada, "planted-by-someone-else", "planted") == 403
        # Ada's next read puts her own token back in the cookie; her page's writes pass.
        assert await bio(ada) in (None, "")
        renewed = ada.cookie_jar.filter_cookies(URL(stack.url))["wardmate_csrf"].value
        assert renewed == ada_csrf
        assert await set_bio(ada, renewed, "mine") == 200
        assert await bio(ada) == "mine"
        assert await set_bio(bo, bo_csrf, "mine too") == 200
    finally:
        await ada.close()
        await bo.close()


async def test_profile_validation_and_public_profile(api: Api) -> None:
    """Profile fields are validated; students cannot set professional fields."""
    student = await api.signup("student", "Chidi")
    ok = await api.call(
        "PATCH",
        "/me/profile",
        student,
        json={
            "school_country": "NG",
            "languages": ["en", "ig"],
            "specialties": ["Cardiology"],
            "medical_school": "University of Nigeria",
            "graduation_year": 2027,
        },
    )
    assert ok.status == 200, ok.body
    assert ok.body["profile"]["school_country"] == "NG" and ok.body["profile"]["specialties"] == ["cardiology"]
    pro_only = await api.call("PATCH", "/me/profile", student, json={"open_to_mentoring": True})
    assert pro_only.status == 400
    public = await api.call("GET", f"/users/{student.id}")
    assert public.status == 200 and "email" not in public.body and public.body["verified"] is False


async def test_names_that_break_lines_hide_or_spoof_are_refused_and_old_ones_still_read(api: Api, stack: Stack) -> None:
    """Signup and a profile change refuse a name with a line break, a text-direction
    override, nothing visible, or the badge's or Wardmate's name (400 beside the field);
    an account whose stored name predates the rules still reads and edits its profile."""
    for name in ("Evil\r\nBcc: attacker@example.org", "a\u202egnp.exe", "\u200b", "Dr. Amara ✓ Verified"):
        body = {"email": random_email(), "password": PASSWORD, "display_name": name, "role": "student"}
        refused = await api.call("POST", "/auth/signup", json=body)
        assert refused.status == 400, (name, refused.body)
        assert [d["field"] for d in refused.body["error"]["details"]] == ["display_name"]
    user = await api.signup("student", "Amara Okafor")
    spoof = await api.call("PATCH", "/me/profile", user, json={"display_name": "Wardmate Support"})
    assert spoof.status == 400 and "wardmate" in spoof.body["error"]["details"][0]["message"]
    renamed = await api.call("PATCH", "/me/profile", user, json={"display_name": "Amara Nguyễn-O'Brien"})
    assert renamed.status == 200 and renamed.body["user"]["display_name"] == "Amara Nguyễn-O'Brien"

    old_name = "✓ Verified\nWardmate Support"
    conn = await asyncpg.connect(stack.service_url("accounts"), server_settings={"search_path": "accounts"})
    try:
        await conn.execute("UPDATE users SET display_name = $2 WHERE id = $1", uuid.UUID(user.id), old_name)
    finally:
        await conn.close()
    assert (await api.call("GET", "/me", user)).body["user"]["display_name"] == old_name
    assert (await api.call("GET", f"/users/{user.id}")).body["display_name"] == old_name
    edited = await api.call("PATCH", "/me/profile", user, json={"bio": "Rotating in cardiology"})
    assert edited.status == 200 and edited.body["user"]["display_name"] == old_name


async def admin_queue(api: Api, admin: User, status: str) -> dict[str, dict[str, Any]]:
    """Every submitted credential with this status, by user id, read a page at a time."""
    found: dict[str, dict[str, Any]] = {}
    params = {"status": status, "limit": "2"}
    while True:
        page = await api.call("GET", "/admin/verifications", admin, params=params)
        assert page.status == 200, page.body
        found |= {item["user_id"]: item for item in page.body["items"]}
        if not page.body["next_cursor"]:
            return found
        params["cursor"] = page.body["next_cursor"]


async def test_verification_badge_reaches_profile_and_listings(api: Api, stack: Stack) -> None:
    """An NPI checked by its digit, verified by an admin, shows as a badge on profile and listings."""
    host = await api.signup("professional", "Dr. Okafor")
    student = await api.signup("student")
    assert (await api.call("POST", "/me/verification", student, json={"npi": "1234567893"})).status == 403
    submitted = await api.call("POST", "/me/verification", host, json={"npi": "1234567893"})
    assert submitted.status == 201 and submitted.body["status"] == "pending"
    listing = await create_listing(api, host)

    admin_email = random_email("admin")
    await ensure_admin(stack.service_url("accounts"), admin_email, ADMIN[1])
    login = await api.call("POST", "/auth/login", json={"email": admin_email, "password": ADMIN[1]})
    admin = User(login.body["user"]["id"], login.body["token"], admin_email, "admin")
    assert (await api.call("POST", f"/admin/verifications/{host.id}", host)).status == 403
    assert (await api.call("GET", "/admin/verifications", host)).status == 403
    queue = await admin_queue(api, admin, "pending")
    assert {"user_id": host.id, "display_name": "Dr. Okafor", "kind": "npi", "npi": "1234567893"}.items() <= queue[
        host.id
    ].items()
    verified = await api.call("POST", f"/admin/verifications/{host.id}", admin)
    assert verified.status == 200 and verified.body["status"] == "verified"
    assert host.id not in await admin_queue(api, admin, "pending")
    assert (await admin_queue(api, admin, "verified"))[host.id]["verified_at"] == verified.body["verified_at"]
    assert (await api.call("GET", f"/users/{host.id}")).body["verified"] is True

    # The listings service learns of it through the event stream.
    shown = await eventually(
        lambda: api.call("GET", f"/listings/{listing['id']}"),
        5,
        what="the listing to show its host verified",
        until=lambda r: r.body["host"]["verified"],
    )
    assert shown.body["host"] == {"id": host.id, "display_name": "Dr. Okafor", "verified": True}


async def test_login_failures_from_one_address_are_rate_limited(api: Api, stack: Stack) -> None:
    """Twenty failures from one client address block it, whatever the account; others log in."""
    user = await api.signup()
    assert stack.nats_url
    nc = await bus.connect(stack.nats_url, "throttle-test")
    try:
        # The gateway fills client_address from the connection; here we speak to accounts
        # directly, as a documentation address, so the shared test client stays unblocked.
        address = "203.0.113.7"
        for _ in range(20):
            with pytest.raises(AppError) as failed:
                await bus.request(
                    nc,
                    subjects.LOGIN,
                    {"email": random_email(), "password": "nope-nope", "client_address": address},
                    LoginReply,
                )
            assert failed.value.code == "unauthorized"
        with pytest.raises(AppError) as blocked:
            await bus.request(
                nc, subjects.LOGIN, {"email": user.email, "password": PASSWORD, "client_address": address}, LoginReply
            )
        assert blocked.value.code == "rate_limited"
        ok = await bus.request(
            nc, subjects.LOGIN, {"email": user.email, "password": PASSWORD, "client_address": "203.0.113.8"}, LoginReply
        )
        assert ok.token
    finally:
        await nc.close()


async def test_a_verified_user_who_changes_name_or_school_loses_the_badge_until_checked_again(
    api: Api, stack: Stack
) -> None:
    """The badge vouches for the name (and school) an operator compared with the credential:
    a verified professional's new name puts the NPI back in the queue, a verified student's
    new school ends the badge; other edits, and the same name sent again, keep it."""
    admin_email = random_email("admin")
    await ensure_admin(stack.service_url("accounts"), admin_email, ADMIN[1])
    login = await api.call("POST", "/auth/login", json={"email": admin_email, "password": ADMIN[1]})
    admin = User(login.body["user"]["id"], login.body["token"], admin_email, "admin")
    pro = await api.signup("professional", "Dr. Okafor")
    listing = await create_listing(api, pro)
    assert (await api.call("POST", "/me/verification", pro, json={"npi": "1234567893"})).status == 201
    assert (await api.call("POST", f"/admin/verifications/{pro.id}", admin)).status == 200

    kept = await api.call("PATCH", "/me/profile", pro, json={"display_name": "Dr. Okafor", "bio": "Cardiology"})
    assert kept.status == 200 and kept.body["verification"]["status"] == "verified"
    renamed = await api.call("PATCH", "/me/profile", pro, json={"display_name": "Dr. Someone Else"})
    assert renamed.status == 200 and renamed.body["verification"]["status"] == "pending", renamed.body
    assert (await api.call("GET", f"/users/{pro.id}")).body["verified"] is False
    assert (await admin_queue(api, admin, "pending"))[pro.id]["display_name"] == "Dr. Someone Else"
    shown = await eventually(
        lambda: api.call("GET", f"/listings/{listing['id']}"),
        5,
        what="the listing to drop its host's badge",
        until=lambda r: r.body["host"]["display_name"] == "Dr. Someone Else",
    )
    assert shown.body["host"]["verified"] is False
    # Checked again under the new name, the badge is back.
    assert (await api.call("POST", f"/admin/verifications/{pro.id}", admin)).status == 200
    assert (await api.call("GET", f"/users/{pro.id}")).body["verified"] is True

    student = await api.signup("student", "Ada Student")
    assert (await api.call("PATCH", "/me/profile", student, json={"medical_school": "Johns Hopkins"})).status == 200
    form = aiohttp.FormData()
    form.add_field("kind", "enrolment")
    form.add_field("file", samples.pdf(), filename="letter.pdf", content_type="application/pdf")
    assert api.http
    async with api.http.post(
        f"{api.base}/api/v1/me/documents", data=form, headers={"Authorization": f"Bearer {student.token}"}
    ) as sent:
        assert sent.status == 201
        doc_id = (await sent.json())["id"]
    decided = await api.call("POST", f"/admin/documents/{doc_id}/decision", admin, json={"decision": "verified"})
    assert decided.status == 200
    assert (await api.call("GET", f"/users/{student.id}")).body["verified"] is True
    moved = await api.call("PATCH", "/me/profile", student, json={"medical_school": "Another School"})
    assert moved.status == 200 and moved.body["verification"]["status"] == "none", moved.body
    assert (await api.call("GET", f"/users/{student.id}")).body["verified"] is False
    assert student.id not in await admin_queue(api, admin, "pending")  # a new document is what it needs


async def test_an_operator_verifies_the_submission_they_checked_not_a_later_one(api: Api, stack: Stack) -> None:
    """Verifying names the submission the queue showed: a credential sent again, or a name
    changed, since then is a 409 and stays pending; the submission now shown verifies."""
    admin_email = random_email("admin")
    await ensure_admin(stack.service_url("accounts"), admin_email, ADMIN[1])
    login = await api.call("POST", "/auth/login", json={"email": admin_email, "password": ADMIN[1]})
    admin = User(login.body["user"]["id"], login.body["token"], admin_email, "admin")
    pro = await api.signup("professional", "Dr. Okafor")
    assert (await api.call("POST", "/me/verification", pro, json={"npi": "1234567893"})).status == 201
    seen = (await admin_queue(api, admin, "pending"))[pro.id]

    other = {"license_number": "FAKE-0001", "license_state": "MD"}
    assert (await api.call("POST", "/me/verification", pro, json=other)).status == 201
    stale = await api.call("POST", f"/admin/verifications/{pro.id}", admin, json={"submitted_at": seen["submitted_at"]})
    assert stale.status == 409 and "changed" in stale.body["error"]["message"], stale.body
    assert (await api.call("GET", f"/users/{pro.id}")).body["verified"] is False

    seen = (await admin_queue(api, admin, "pending"))[pro.id]
    assert seen["license_number"] == "FAKE-0001"
    assert (await api.call("PATCH", "/me/profile", pro, json={"display_name": "Dr. Someone Else"})).status == 200
    renamed = await api.call(
        "POST", f"/admin/verifications/{pro.id}", admin, json={"submitted_at": seen["submitted_at"]}
    )
    assert renamed.status == 409, renamed.body

    seen = (await admin_queue(api, admin, "pending"))[pro.id]
    assert seen["display_name"] == "Dr. Someone Else"
    checked = await api.call(
        "POST", f"/admin/verifications/{pro.id}", admin, json={"submitted_at": seen["submitted_at"]}
    )
    assert checked.status == 200 and checked.body["status"] == "verified", checked.body
    assert (await api.call("GET", f"/users/{pro.id}")).body["verified"] is True


async def test_login_limits_hold_when_the_attempts_come_at_once(api: Api, stack: Stack) -> None:
    """Wrong passwords sent all at once get no more tries than one after the other: 5 at
    one account from one client address, 20 at one account from many, 20 from one client
    address; the rest are 429."""
    user = await api.signup()
    assert stack.nats_url
    nc = await bus.connect(stack.nats_url, "burst-test")

    async def attempt(email: str, address: str) -> str:
        body = {"email": email, "password": "nope-nope", "client_address": address}
        try:
            await bus.request(nc, subjects.LOGIN, body, LoginReply, timeout=30)
        except AppError as err:
            return err.code
        return "ok"

    try:
        # Documentation addresses, so the shared test client stays unblocked.
        at_once = await asyncio.gather(*(attempt(user.email, f"203.0.113.{20 + i}") for i in range(30)))
        assert sorted(set(at_once)) == ["rate_limited", "unauthorized"]
        assert at_once.count("unauthorized") == 20
        other = await api.signup()
        paired = await asyncio.gather(*(attempt(other.email, "203.0.113.99") for _ in range(12)))
        assert paired.count("unauthorized") == 5 and paired.count("rate_limited") == 7
        from_one = await asyncio.gather(*(attempt(random_email(), "198.51.100.9") for _ in range(45)))
        assert from_one.count("unauthorized") == 20 and from_one.count("rate_limited") == 25
    finally:
        await nc.close()


async def test_an_operator_rejects_a_credential_saying_why_and_the_professional_sends_another(
    api: Api, stack: Stack
) -> None:
    """A rejection of the NPI the operator read is recorded with who and when; the
    professional sees the reason on their profile, is told by a notice and a mail, and may
    submit again. Others get a 403; a rejection of a credential decided, or sent again,
    since the operator read it is a 409."""
    admin_email = random_email("admin")
    await ensure_admin(stack.service_url("accounts"), admin_email, ADMIN[1], "Olu Operator")
    login = await api.call("POST", "/auth/login", json={"email": admin_email, "password": ADMIN[1]})
    admin = User(login.body["user"]["id"], login.body["token"], admin_email, "admin")
    pro, other = await api.signup("professional", "Dr. Rejected"), await api.signup("professional")
    assert (await api.call("POST", "/me/verification", pro, json={"npi": "1234567893"})).status == 201
    seen = (await admin_queue(api, admin, "pending"))[pro.id]
    reason = "This NPI belongs to another physician in the NPPES registry"
    body = {"submitted_at": seen["submitted_at"], "reason": reason}
    url = f"/admin/verifications/{pro.id}/rejection"

    refused = await api.call("POST", url, other, json=body)
    assert refused.status == 403 and refused.error_code == "forbidden", refused.body
    blank = await api.call("POST", url, admin, json={**body, "reason": " \u200b "})
    assert blank.status == 400 and blank.body["error"]["details"][0]["field"] == "reason", blank.body

    rejected = await api.call("POST", url, admin, json=body)
    assert rejected.status == 200, rejected.body
    assert rejected.body["status"] == "rejected" and rejected.body["rejection_reason"] == reason
    again = await api.call("POST", url, admin, json=body)
    assert again.status == 409 and "already rejected" in again.body["error"]["message"], again.body
    verify = await api.call(
        "POST", f"/admin/verifications/{pro.id}", admin, json={"submitted_at": seen["submitted_at"]}
    )
    assert verify.status == 409, verify.body
    assert pro.id not in await admin_queue(api, admin, "pending")
    record = (await admin_queue(api, admin, "rejected"))[pro.id]
    assert (record["rejected_by"], record["rejected_by_name"], record["rejection_reason"]) == (
        admin.id,
        "Olu Operator",
        reason,
    )
    assert record["rejected_at"] == rejected.body["rejected_at"]
    mine = (await api.call("GET", "/me", pro)).body["verification"]
    assert (mine["status"], mine["rejection_reason"]) == ("rejected", reason)

    async def notices() -> list[dict[str, Any]]:
        return (await api.call("GET", "/notifications", pro)).body["items"]  # type: ignore[no-any-return]

    [told] = await eventually(notices, 15, what="the rejection's notice")
    assert told["kind"] == "credential_rejected" and reason in told["text"] and "submit it again" in told["text"]
    [mail] = await api.mail(pro.email, "Your NPI or licence was not accepted")
    assert reason in mail.part("text/plain") and mail.link("#/profile")
    choices = (await api.call("GET", "/me/notification-preferences", pro)).body
    assert "credential_rejected" in choices["kinds"], choices  # a professional may turn it off

    # Sent again: pending, the old reason gone; the old submission can no longer be rejected.
    resent = await api.call("POST", "/me/verification", pro, json={"license_number": "MD-12345", "license_state": "MD"})
    assert resent.status == 201 and resent.body["status"] == "pending" and resent.body["rejection_reason"] is None
    stale = await api.call("POST", url, admin, json=body)
    assert stale.status == 409 and "changed" in stale.body["error"]["message"], stale.body
    assert (await admin_queue(api, admin, "pending"))[pro.id]["license_number"] == "MD-12345"


async def test_an_operator_made_by_the_command_is_named_where_they_resolved_a_report(api: Api, stack: Stack) -> None:
    """The admin command sends the event a signup sends, so messaging knows the operator:
    the reports list names who resolved a report (it could say only "another operator")."""
    name = f"Olu Resolver {uuid.uuid4().hex[:6]}"
    admin_email = random_email("admin")
    await ensure_admin(stack.service_url("accounts"), admin_email, ADMIN[1], name)
    login = await api.call("POST", "/auth/login", json={"email": admin_email, "password": ADMIN[1]})
    admin = User(login.body["user"]["id"], login.body["token"], admin_email, "admin")
    student, host = await api.signup("student"), await api.signup("professional")
    report = await api.call("POST", "/reports", student, json={"user_id": host.id, "reason": "harassment"})
    assert report.status == 201, report.body
    resolved = await api.call(
        "POST", f"/admin/reports/{report.body['id']}/resolve", admin, json={"resolution": "warned"}
    )
    assert resolved.status == 200, resolved.body

    async def resolver() -> str | None:
        page = await api.call("GET", "/admin/reports", admin, params={"status": "resolved", "limit": "100"})
        mine = next(r for r in page.body["items"] if r["id"] == report.body["id"])
        return mine["resolved_by_name"]  # type: ignore[no-any-return]

    assert await eventually(resolver, 15, what="messaging to know the operator", until=lambda n: n == name) == name


async def test_an_operator_suspends_an_account_and_lifts_it(api: Api, admin: User, stack: Stack) -> None:
    """A suspended host cannot log in, their sessions end, their room leaves search, its
    page, booking and a student's room matches, and they are no longer offered as a mentor;
    a request already past the gateway publishes nothing for them; lifting it brings all
    back. Only operators suspend; the same suspension twice is a 409."""
    host = await api.signup("professional", "Dr. Reported Scam")
    hospital_id, lat, lon = CARSON_CITY  # no other test's rooms within 5 km
    spot = (lat + 0.004, lon)
    await api.call("PATCH", "/me/profile", host, json={"open_to_mentoring": True, "mentoring_capacity": 2})
    listing = await create_listing(api, host, latitude=spot[0], longitude=spot[1])
    draft = await create_listing(api, host, latitude=spot[0], longitude=spot[1], status="draft")
    student = await api.signup("student", "Wary Student")
    search = {"near": f"{spot[0]},{spot[1]}", "radius_km": "5"}
    matches = f"/rotations/{(await rotation(api, student, hospital_id=hospital_id))['id']}/room-matches"

    async def found() -> list[str]:
        r = await api.call("GET", "/listings", student, params=search)
        assert r.status == 200, r.body
        return [item["id"] for item in r.body["items"]]

    async def matched() -> list[str]:
        r = await api.call("GET", matches, student, params={"limit": "100"})
        assert r.status == 200, r.body
        return [m["listing"]["id"] for m in r.body["items"]]

    assert await found() == [listing["id"]]
    chat = await api.call("POST", "/conversations", student, json={"user_id": host.id, "body": "Is the room free?"})
    assert chat.status == 200, chat.body
    thread = f"/conversations/{chat.body['id']}"
    await eventually(matched, 15, what="the room in the student's matches", until=lambda ids: ids == [listing["id"]])
    refused = await api.call("POST", f"/admin/users/{host.id}/suspension", student, json={"reason": "scam"})
    assert refused.status == 403, refused.body
    body = {"reason": "Asked a student to pay by wire, outside Wardmate"}
    suspended = await api.call("POST", f"/admin/users/{host.id}/suspension", admin, json=body)
    assert suspended.status == 200 and suspended.body["suspended"] is True, suspended.body
    again = await api.call("POST", f"/admin/users/{host.id}/suspension", admin, json=body)
    assert again.status == 409, again.body
    assert (await api.call("GET", "/me", host)).status == 401
    listed = await suspensions(api, admin)
    assert listed[host.id]["reason"] == body["reason"] and listed[host.id]["display_name"] == "Dr. Reported Scam"
    assert listed[host.id]["suspended_by_name"] == "Operator", listed[host.id]  # ensure_admin's name
    assert listed[host.id]["suspended_by"] == admin.id, listed[host.id]
    assert (await api.call("GET", "/admin/suspensions", student)).status == 403
    login = await api.call("POST", "/auth/login", json={"email": host.email, "password": PASSWORD})
    assert login.status == 403 and "suspended" in login.body["error"]["message"], login.body
    assert "write to Wardmate's support at support@wardmate.test" in login.body["error"]["message"], login.body
    [mailed] = await api.mail(host.email, "Your Wardmate account is suspended")
    said = mailed.part("text/plain")
    assert "write to support@wardmate.test" in said and body["reason"] not in said, said  # the reason: operators'
    assert mailed.message["List-Unsubscribe"] is None, mailed.message
    wrong = await api.call("POST", "/auth/login", json={"email": host.email, "password": "not-the-password"})
    assert wrong.status == 401  # without the password, nothing is told of the suspension

    # Listings holds the room once it has the event; matching stops offering the mentor.
    await eventually(found, 10, what="the suspended host's room gone from search", until=lambda ids: ids == [])
    assert (await api.call("GET", f"/listings/{listing['id']}", student)).status == 404
    booking = await api.call(
        "POST",
        f"/listings/{listing['id']}/bookings",
        student,
        json={"check_in": "2031-01-05", "check_out": "2031-02-02"},
    )
    assert booking.status == 404, booking.body
    await eventually(matched, 10, what="the held room gone from matches", until=lambda ids: ids == [])
    seen = (await api.call("GET", f"/users/{host.id}", student)).body
    assert seen["suspended"] is True and seen["profile"]["open_to_mentoring"] is False, seen
    # Messaging, told too, says nothing new can reach them, and why.
    await eventually(
        lambda: api.call("GET", thread, student),
        10,
        what="messaging to know of the suspension",
        until=lambda r: r.body["other"]["suspended"] is True,
    )
    for path, payload in ((f"{thread}/messages", {"body": "Hello?"}), ("/conversations", {"user_id": host.id})):
        unread = await api.call("POST", path, student, json=payload)
        assert unread.status == 409 and "suspended" in unread.body["error"]["message"], unread.body
    # Requests that passed the gateway before the sessions ended publish nothing.
    assert stack.nats_url
    nc = await bus.connect(stack.nats_url, "suspended-host")
    as_host = Actor(user_id=uuid.UUID(host.id), role="professional")
    try:
        late = [
            (subjects.CREATE_LISTING, listing_body(latitude=spot[0], longitude=spot[1]), "forbidden"),
            (subjects.UPDATE_LISTING, {"listing_id": draft["id"], "status": "active"}, "forbidden"),
            (subjects.UPDATE_LISTING, {"listing_id": listing["id"], "title": "Still here"}, "conflict"),
        ]
        for subject, payload, code in late:
            with pytest.raises(AppError) as refused_late:
                await bus.request_raw(nc, subject, payload, actor=as_host)
            assert refused_late.value.code == code, (subject, refused_late.value)
    finally:
        await nc.close()
    assert stack.database_url
    conn = await asyncpg.connect(stack.database_url)
    try:

        async def mentoring() -> object:
            return await conn.fetchval(
                "SELECT data->>'open_to_mentoring' FROM matching.profiles WHERE user_id = $1", uuid.UUID(host.id)
            )

        await eventually(mentoring, 10, what="matching to hold the host not mentoring", until=lambda v: v == "false")

        lifted = await api.call("DELETE", f"/admin/users/{host.id}/suspension", admin)
        assert lifted.status == 200 and lifted.body["suspended"] is False, lifted.body
        assert (await api.call("DELETE", f"/admin/users/{host.id}/suspension", admin)).status == 409
        assert host.id not in await suspensions(api, admin)
        seen = (await api.call("GET", f"/users/{host.id}", student)).body
        assert seen["suspended"] is False and seen["profile"]["open_to_mentoring"] is True, seen
        await eventually(found, 10, what="the room back in search", until=lambda ids: ids == [listing["id"]])
        await eventually(matched, 10, what="the room back in matches", until=lambda ids: ids == [listing["id"]])
        await eventually(
            lambda: api.call("POST", f"{thread}/messages", student, json={"body": "Is the room still free?"}),
            10,
            what="messages reaching the host again",
            until=lambda r: r.status == 201,
        )
        await eventually(mentoring, 10, what="the host mentoring again", until=lambda v: v == "true")
    finally:
        await conn.close()
    await api.mail(host.email, "Your Wardmate account is active again")
    back = await api.call("POST", "/auth/login", json={"email": host.email, "password": PASSWORD})
    assert back.status == 200, back.body
    mine = await api.call("GET", f"/listings/{listing['id']}", User(host.id, back.body["token"], host.email, host.role))
    assert mine.body["status"] == "active", mine.body
    kept = await api.call("GET", f"/listings/{draft['id']}", User(host.id, back.body["token"], host.email, host.role))
    assert kept.body["status"] == "draft", kept.body


async def test_who_deals_with_a_suspended_account_hears_of_it(api: Api, admin: User) -> None:
    """A guest with a stay requested and a student who wrote to the host lately read, in
    that conversation, that Wardmate suspended the host, with the support address to write
    to; each gets a notice, mailed without an unsubscribe link (it cannot be turned off). A
    student whose request was declined hears nothing. Lifting the suspension tells them too."""
    host = await api.signup("professional", "Dr. Suspended Host")
    listing = await create_listing(api, host)
    guest = await api.signup("student", "Guest With A Stay")
    stay = await request_stay(api, guest, listing["id"])
    assert stay.status == 201, stay.body
    writer = await api.signup("student", "Student Who Wrote")
    chat = await api.call("POST", "/conversations", writer, json={"user_id": host.id, "body": "Is it near the ward?"})
    assert chat.status == 200, chat.body
    bystander = await api.signup("student", "Declined Student")
    declined = await request_stay(api, bystander, listing["id"], start=100)
    assert declined.status == 201, declined.body
    assert (await api.call("POST", f"/bookings/{declined.body['id']}/decline", host)).status == 200

    async def notices(user: User, kind: str) -> list[dict[str, Any]]:
        r = await api.call("GET", "/notifications", user, params={"limit": "50"})
        assert r.status == 200, r.body
        return [n for n in r.body["items"] if n["kind"] == kind]

    async def last_message(user: User, conversation_id: str) -> dict[str, Any]:
        r = await api.call("GET", f"/conversations/{conversation_id}", user)
        assert r.status == 200, r.body
        return r.body["last_message"]  # type: ignore[no-any-return]

    # Messaging knows the request declined (told by its own consumer, maybe after the suspension's).
    await eventually(
        lambda: notices(bystander, "booking_declined"), 15, what="the decline", until=lambda n: len(n) == 1
    )
    body = {"reason": "Asked students for deposits by wire"}
    assert (await api.call("POST", f"/admin/users/{host.id}/suspension", admin, json=body)).status == 200
    [told] = await eventually(
        lambda: notices(guest, "account_suspended"), 15, what="the guest told", until=lambda n: len(n) == 1
    )
    # One transaction told everyone: the others' notices are there too.
    [heard] = await notices(writer, "account_suspended")
    assert await notices(bystander, "account_suspended") == []
    assert told["booking_id"] == stay.body["id"] and told["listing_id"] == listing["id"], told
    about_stay = f"Wardmate suspended the account of Dr. Suspended Host (the stay at “{listing['title']}”)"
    for notice, about in ((told, about_stay), (heard, "Wardmate suspended the account of Dr. Suspended Host.")):
        assert notice["text"].startswith(about), notice
        assert "outside Wardmate" in notice["text"] and "support@wardmate.test" in notice["text"], notice
    assert heard["conversation_id"] == chat.body["id"], heard
    for user, notice in ((guest, told), (writer, heard)):
        said = await last_message(user, notice["conversation_id"])
        assert said["kind"] == "system" and said["body"] == notice["text"], said
    [mail] = await api.mail(guest.email, "Wardmate suspended an account you deal with")
    text = mail.part("text/plain")
    assert "support@wardmate.test" in text and "Stop these mails" not in text, text
    assert mail.message["List-Unsubscribe"] is None, mail.message
    muted = await api.call(
        "PUT", "/me/notification-preferences", guest, json={"muted_kinds": ["account_suspended"], "digest": True}
    )
    assert muted.status == 400, muted.body

    assert (await api.call("DELETE", f"/admin/users/{host.id}/suspension", admin)).status == 200
    for user in (guest, writer):
        [lifted] = await eventually(
            lambda u=user: notices(u, "suspension_lifted"), 15, what="the lift told", until=lambda n: len(n) == 1
        )
        assert lifted["text"].startswith("Wardmate lifted the suspension of the account of Dr. Suspended Host"), lifted
    assert await notices(bystander, "suspension_lifted") == []


async def test_a_guest_who_also_wrote_to_a_suspended_host_hears_of_their_stay(api: Api, admin: User) -> None:
    """A guest with a stay and a direct conversation with the host gets one notice (one an
    event and reader), and it is their stay's: it was the conversation whose id sorted
    first, so a paid guest could read the direct thread's words and not a word of the stay
    (each of four guests here had an even chance of that)."""
    host = await api.signup("professional", "Dr. Twice Known")
    listing = await create_listing(api, host)
    guests = [await api.signup("student", f"Guest And Writer {n}") for n in range(4)]
    stays = {}
    for n, guest in enumerate(guests):
        stay = await request_stay(api, guest, listing["id"], start=30 + 40 * n)
        assert stay.status == 201, stay.body
        stays[guest.id] = stay.body["id"]
        chat = await api.call("POST", "/conversations", guest, json={"user_id": host.id, "body": "A question"})
        assert chat.status == 200, chat.body
    body = {"reason": "Asked students for deposits by wire"}
    assert (await api.call("POST", f"/admin/users/{host.id}/suspension", admin, json=body)).status == 200
    for guest in guests:

        async def told(user: User = guest) -> list[dict[str, Any]]:
            r = await api.call("GET", "/notifications", user, params={"limit": "50"})
            return [n for n in r.body["items"] if n["kind"] == "account_suspended"]

        [notice] = await eventually(told, 15, what="the guest told", until=lambda n: len(n) == 1)
        assert notice["booking_id"] == stays[guest.id], notice
        assert "(the stay at “" in notice["text"] and "The stay is not cancelled" in notice["text"], notice


async def suspensions(api: Api, admin: User) -> dict[str, dict[str, Any]]:
    """Every suspended account the operators' list shows, page by page (two to a page, so
    that the cursor is walked whenever other tests have suspended someone too)."""
    listed: dict[str, dict[str, Any]] = {}
    cursor = None
    while True:
        page = await api.call(
            "GET", "/admin/suspensions", admin, params={"limit": "2", **({"cursor": cursor} if cursor else {})}
        )
        assert page.status == 200, page.body
        listed |= {item["user_id"]: item for item in page.body["items"]}
        if not (cursor := page.body["next_cursor"]):
            return listed


def fresh_npi() -> str:
    """An NPI no other test submits, with its check digit."""
    body = f"1{uuid.uuid4().int % 10**8:08d}"
    return next(body + d for d in "0123456789" if npi_is_valid(body + d))


async def test_the_queue_names_other_accounts_verified_with_the_same_npi(api: Api, admin: User) -> None:
    """One NPI names one person: a second account sending an NPI already verified for another
    shows in the queue with that account's name, so the operator checks before verifying."""
    npi = fresh_npi()
    first, second = await api.signup("professional", "Dr. First Holder"), await api.signup("professional", "Dr. Copy")
    for who in (first, second):
        assert (await api.call("POST", "/me/verification", who, json={"npi": npi})).status == 201
    queue = await admin_queue(api, admin, "pending")
    assert queue[first.id]["also_verified_for"] == [] and queue[second.id]["also_verified_for"] == []
    assert (await api.call("POST", f"/admin/verifications/{first.id}", admin)).status == 200
    queue = await admin_queue(api, admin, "pending")
    assert queue[second.id]["also_verified_for"] == ["Dr. First Holder"], queue[second.id]
    verified = await admin_queue(api, admin, "verified")
    assert verified[first.id]["also_verified_for"] == []  # the copy is not verified
