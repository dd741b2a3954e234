"""The account lifecycle through the gateway and a real SMTP server (the Stack's sink):
confirming an address by its mailed link, password reset and change, address change,
sessions and their revocation. Every link is read from the mail itself."""

from __future__ import annotations

import asyncio
import json
import random

import aiohttp
import asyncpg

from services.runner import Stack
from tests.api import PASSWORD, Api, User, link_token, random_email
from tests.e2e.helpers import JHH, create_listing, listing_body, request_stay
from tests.ws import closed_with, until_ready

NEW_PASSWORD = "a-brand-new-passphrase"


async def test_unconfirmed_users_browse_but_cannot_book_publish_or_message(api: Api) -> None:
    """Until the mailed link is followed: search works; booking, posting a room,
    starting a conversation and asking for a mentor are 403 email_unverified; the link
    works once."""
    host = await api.signup("professional")
    student = await api.signup("student", verify=False)
    pro = await api.signup("professional", verify=False)
    listing = await create_listing(api, host)

    assert (await api.call("GET", "/listings", student, params={"hospital_id": JHH})).status == 200
    me = await api.call("GET", "/me", student)
    assert me.body["user"]["email_verified"] is False
    refused = [
        await request_stay(api, student, listing["id"]),
        await api.call("POST", "/conversations", student, json={"user_id": host.id}),
        await api.call("POST", "/mentorships", student, json={"mentor_id": host.id, "message": "Hello"}),
    ]
    refused.append(await api.call("POST", "/listings", pro, json=listing_body()))
    for r in refused:
        assert r.status == 403 and r.body["error"]["details"] == {"reason": "email_unverified"}, r.body

    [mail] = await api.mail(student.email, "Confirm your email address")
    assert mail.message["From"] and "List-Unsubscribe" not in mail.message  # a security mail
    assert "verify-email" in mail.part("text/html")
    token = link_token(mail.link("verify-email"))
    # The link needs no session: a phone's mail app opens it logged out.
    ok = await api.call("POST", "/auth/verify-email", json={"token": token})
    assert ok.status == 200 and ok.body == {"email": student.email, "email_verified": True}
    again = await api.call("POST", "/auth/verify-email", json={"token": token})
    assert again.status == 400 and "already used" in again.body["error"]["message"]
    forged = await api.call("POST", "/auth/verify-email", json={"token": token[:-4] + "AAAA"})
    assert forged.status == 400

    # The gateway's cached session learnt of it at once (a broadcast).
    booked = await request_stay(api, student, listing["id"])
    assert booked.status == 201, booked.body


async def test_resend_is_rate_limited(api: Api) -> None:
    """A few new links an hour, then 429; a confirmed user has nothing to resend (409)."""
    user = await api.signup(verify=False)
    statuses = [(await api.call("POST", "/me/verification-email", user)).status for _ in range(4)]
    assert statuses == [202, 202, 202, 429]
    mails = await api.mail(user.email, "Confirm your email address", count=4)
    # The newest link works; each link is its own.
    assert len({m.link("verify-email") for m in mails}) == 4
    await api.call("POST", "/auth/verify-email", user, json={"token": link_token(mails[-1].link("verify-email"))})
    assert (await api.call("POST", "/me/verification-email", user)).status == 409


async def test_password_reset_by_mail_says_nothing_and_ends_every_session(api: Api) -> None:
    """Known and unknown addresses get the same answer; the mailed link sets a new
    password once, confirms the address, and logs every device out."""
    user = await api.signup(verify=False)
    known = await api.call("POST", "/auth/password-reset", json={"email": user.email.upper()})
    unknown = await api.call("POST", "/auth/password-reset", json={"email": random_email()})
    assert known.status == unknown.status == 202 and known.body == unknown.body
    # Text that is no address is said so (it was told "a link is on its way").
    typo = await api.call("POST", "/auth/password-reset", json={"email": "not an email"})
    assert typo.status == 400 and typo.body["error"]["details"][0]["field"] == "email", typo.body

    [mail] = await api.mail(user.email, "Reset your Wardmate password")
    token = link_token(mail.link("reset-password"))
    short = await api.call("POST", "/auth/password-reset/confirm", json={"token": token, "password": "short"})
    assert short.status == 400
    # The page asks before it shows the form; asking uses nothing up.
    for _ in range(2):
        check = await api.call("POST", "/auth/password-reset/check", json={"token": token})
        assert check.status == 200, check.body
    done = await api.call("POST", "/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD})
    assert done.status == 200, done.body
    again = await api.call("POST", "/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD})
    assert again.status == 400
    used = await api.call("POST", "/auth/password-reset/check", json={"token": token})
    assert used.status == 400 and used.body["error"]["message"] == again.body["error"]["message"], used.body
    assert "already used" in used.body["error"]["message"]
    # A link cut short in the mail reads as a wrong one, not as a field to fill in.
    for bad in (token[:5], token[:-3] + "xyz"):
        cut = await api.call("POST", "/auth/password-reset/confirm", json={"token": bad, "password": NEW_PASSWORD})
        assert cut.status == 400, cut.body
        assert cut.body["error"]["message"] == "this link is invalid or has expired; ask for a new one", cut.body
        checked = await api.call("POST", "/auth/password-reset/check", json={"token": bad})
        assert (checked.status, checked.body["error"]["message"]) == (400, cut.body["error"]["message"])

    assert (await api.call("GET", "/me", user)).status == 401
    old = await api.call("POST", "/auth/login", json={"email": user.email, "password": PASSWORD})
    assert old.status == 401
    new = await api.call("POST", "/auth/login", json={"email": user.email, "password": NEW_PASSWORD})
    assert new.status == 200 and new.body["user"]["email_verified"] is True
    await api.mail(user.email, "Your Wardmate password was changed")


def own_client() -> dict[str, str]:
    """A client address of the test's own, named as a proxy names it: the reset requests
    of every test otherwise count against loopback's 20 an hour (``reset_limit_per_address``),
    and which tests share a worker decided whether a later one got a 429."""
    return {"X-Forwarded-For": f"198.51.{random.randint(0, 255)}.{random.randint(1, 254)}"}


async def test_password_reset_requests_are_rate_limited_per_address(api: Api) -> None:
    """The limit holds for an unknown address as for a known one (it tells nothing)."""
    client = own_client()
    for email in (random_email(), (await api.signup()).email):
        statuses = [
            (await api.call("POST", "/auth/password-reset", json={"email": email}, headers=client)).status
            for _ in range(4)
        ]
        assert statuses == [202, 202, 202, 429]


async def test_change_password_keeps_this_session_and_ends_the_others(api: Api, stack: Stack) -> None:
    """The current password is needed; the other sessions end, their sockets close."""
    user = await api.signup()
    other = await api.call("POST", "/auth/login", json={"email": user.email, "password": PASSWORD})
    phone = User(user.id, other.body["token"], user.email, user.role)
    async with aiohttp.ClientSession() as http:
        ws_url = stack.url.replace("http", "ws", 1) + "/api/v1/ws"
        socket = await http.ws_connect(ws_url, params={"token": phone.token})
        await until_ready(socket)
        wrong = await api.call(
            "POST", "/me/password", user, json={"current_password": "not-it", "new_password": NEW_PASSWORD}
        )
        # The details name the field, so a form shows the refusal beside it.
        assert wrong.status == 403 and wrong.body["error"]["details"] == [
            {"field": "current_password", "message": "The current password is not right."}
        ], wrong.body
        changed = await api.call(
            "POST", "/me/password", user, json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
        )
        assert changed.status == 200 and changed.body == {"revoked": 1}
        code, _ = await closed_with(socket)
        assert code == 4401
    assert (await api.call("GET", "/me", user)).status == 200
    assert (await api.call("GET", "/me", phone)).status == 401
    [notice] = await api.mail(user.email, "Your Wardmate password was changed")
    # Where to act: the settings (the new calendar link) and, if it was not them, a reset.
    assert notice.link("/#/settings") and notice.link("/#/forgot-password"), notice.links()


async def test_change_email_is_confirmed_from_the_new_address(api: Api) -> None:
    """The address changes only when the link mailed to the new one is followed; the old
    address is told; a taken address is a 409."""
    user, someone = await api.signup(), await api.signup()
    taken = await api.call("POST", "/me/email", user, json={"password": PASSWORD, "new_email": someone.email})
    assert taken.status == 409
    wrong = await api.call("POST", "/me/email", user, json={"password": "nope", "new_email": random_email()})
    assert wrong.status == 403 and [d["field"] for d in wrong.body["error"]["details"]] == ["password"], wrong.body
    new_email = random_email("moved")
    asked = await api.call("POST", "/me/email", user, json={"password": PASSWORD, "new_email": new_email})
    assert asked.status == 202
    assert (await api.call("GET", "/me", user)).body["user"]["email"] == user.email  # not yet

    [mail] = await api.mail(new_email, "Confirm your new Wardmate address")
    confirmed = await api.call(
        "POST", "/auth/confirm-email", user, json={"token": link_token(mail.link("confirm-email"))}
    )
    assert confirmed.status == 200 and confirmed.body == {"email": new_email, "email_verified": True}
    [notice] = await api.mail(user.email, "Your Wardmate address was changed")
    assert new_email in notice.part("text/plain")
    # What the owner can do if it was not them: not a reset, whose link goes to the new address.
    said = " ".join(notice.part("text/plain").split())
    assert "write to support@wardmate.test at once, from this address" in said and "reset cannot help" in said, said
    login = await api.call("POST", "/auth/login", json={"email": new_email, "password": PASSWORD})
    assert login.status == 200
    # The old address is free again.
    reuse = await api.call(
        "POST", "/auth/signup", json={"email": user.email, "password": PASSWORD, "display_name": "R", "role": "student"}
    )
    assert reuse.status == 201


async def test_a_never_confirmed_old_address_is_not_told_the_new_one(api: Api) -> None:
    """A sign-up address never confirmed (mistyped, perhaps a stranger's) was mailed "your
    address is now <the new one>" when the change was confirmed: it is told nothing now."""
    user = await api.signup(verify=False)
    new_email = random_email("fixed")
    asked = await api.call("POST", "/me/email", user, json={"password": PASSWORD, "new_email": new_email})
    assert asked.status == 202, asked.body
    [mail] = await api.mail(new_email, "Confirm your new Wardmate address")
    token = link_token(mail.link("confirm-email"))
    confirmed = await api.call("POST", "/auth/confirm-email", user, json={"token": token})
    assert confirmed.status == 200 and confirmed.body["email"] == new_email, confirmed.body
    # Mails go out from accounts' consumer: one sent after the change shows the queue passed.
    assert (await api.call("POST", "/auth/password-reset", json={"email": new_email})).status == 202
    await api.mail(new_email, "Reset your Wardmate password")
    assert api.mailbox is not None
    assert [m.subject for m in api.mailbox.to(user.email)] == ["Confirm your email address"]


async def test_a_reset_link_mailed_to_the_old_address_dies_with_the_change(api: Api) -> None:
    """A reset link mailed before the address changed answers 400 once the change is
    confirmed: whoever still reads the old mailbox cannot take the account over. A link
    mailed to the new address works."""
    user = await api.signup()
    assert (await api.call("POST", "/auth/password-reset", json={"email": user.email})).status == 202
    [old_mail] = await api.mail(user.email, "Reset your Wardmate password")
    old_link = link_token(old_mail.link("reset-password"))

    new_email = random_email("moved")
    asked = await api.call("POST", "/me/email", user, json={"password": PASSWORD, "new_email": new_email})
    assert asked.status == 202
    [change] = await api.mail(new_email, "Confirm your new Wardmate address")
    confirmed = await api.call("POST", "/auth/confirm-email", json={"token": link_token(change.link("confirm-email"))})
    assert confirmed.status == 200, confirmed.body

    taken = await api.call(
        "POST", "/auth/password-reset/confirm", json={"token": old_link, "password": "taken-over-password"}
    )
    assert taken.status == 400 and "invalid or has expired" in taken.body["error"]["message"], taken.body
    assert (await api.call("POST", "/auth/login", json={"email": new_email, "password": PASSWORD})).status == 200
    assert (await api.call("GET", "/me", user)).status == 200  # nothing was reset: the session lives

    assert (await api.call("POST", "/auth/password-reset", json={"email": new_email})).status == 202
    [new_mail] = await api.mail(new_email, "Reset your Wardmate password")
    done = await api.call(
        "POST",
        "/auth/password-reset/confirm",
        json={"token": link_token(new_mail.link("reset-password")), "password": NEW_PASSWORD},
    )
    assert done.status == 200, done.body


async def test_asking_whether_addresses_are_taken_is_rate_limited(api: Api) -> None:
    """An address change says when the address has an account (409), so each attempt counts
    against the hourly limit before that lookup: the fourth is a 429, taken or not."""
    user = await api.signup()
    others = [await api.signup() for _ in range(4)]
    statuses = [
        (await api.call("POST", "/me/email", user, json={"password": PASSWORD, "new_email": o.email})).status
        for o in others
    ]
    assert statuses == [409, 409, 409, 429]
    free = await api.call("POST", "/me/email", user, json={"password": PASSWORD, "new_email": random_email()})
    assert free.status == 429


async def test_a_session_cannot_guess_its_accounts_password(api: Api) -> None:
    """Changing the password or the address, or deleting the account, asks the password
    again: a session taken from its owner guessed it there without end (a login locks after
    five failures). Each wrong try counts; past five, even the right one waits (429)."""
    user = await api.signup()
    guesses = [
        ("POST", "/me/password", {"current_password": "guess-1", "new_password": NEW_PASSWORD}),
        ("POST", "/me/email", {"password": "guess-2", "new_email": random_email()}),
        ("DELETE", "/me", {"password": "guess-3"}),
        ("POST", "/me/password", {"current_password": "guess-4", "new_password": NEW_PASSWORD}),
        ("POST", "/me/password", {"current_password": "guess-5", "new_password": NEW_PASSWORD}),
    ]
    for method, path, body in guesses:
        r = await api.call(method, path, user, json=body)
        assert r.status == 403, (path, r.body)
    right = await api.call(
        "POST", "/me/password", user, json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert right.status == 429 and right.body["error"]["details"]["retry_after_s"] > 0, right.body
    # Said to someone logged in, of the password they gave (it said "failed logins").
    assert right.body["error"]["message"] == (
        "Too many wrong passwords: try again in 15 minutes. Forgotten it? Log out and use “Forgot password?” on"
        " the login page."
    ), right.body
    assert int(right.headers["Retry-After"]) > 0
    assert (await api.call("DELETE", "/me", user, json={"password": PASSWORD})).status == 429
    assert (await api.call("GET", "/me", user)).status == 200  # nothing was changed or deleted


async def test_the_new_password_is_another(api: Api) -> None:
    """The same password as new was taken: every other device logged out, and a mail saying
    the password changed, for no change."""
    user = await api.signup()
    same = await api.call("POST", "/me/password", user, json={"current_password": PASSWORD, "new_password": PASSWORD})
    assert same.status == 400 and same.body["error"]["details"] == [
        {"field": "new_password", "message": "Choose a password other than your current one."}
    ], same.body
    assert (await api.call("GET", "/me", user)).status == 200


async def test_the_address_change_limit_does_not_tell_a_right_password(api: Api) -> None:
    """Past the hourly limit of address changes, a right password got 429 and a wrong one
    403: the 429 told a guesser the password was right. Both are 429 now."""
    user = await api.signup()
    for _ in range(3):
        sent = await api.call("POST", "/me/email", user, json={"password": PASSWORD, "new_email": random_email()})
        assert sent.status == 202, sent.body
    for password in (PASSWORD, "a-wrong-guess"):
        r = await api.call("POST", "/me/email", user, json={"password": password, "new_email": random_email()})
        assert r.status == 429, (password, r.body)


async def test_sessions_list_and_revoke(api: Api) -> None:
    """The list names each device and marks this one; revoking one ends it at once;
    another user's session id is a 404; "log out other devices" keeps only this one."""
    user = await api.signup()
    firefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
    phone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Version/17.5 Safari/604.1"
    tokens = {}
    for agent in (firefox, phone):
        r = await api.call(
            "POST", "/auth/login", json={"email": user.email, "password": PASSWORD}, headers={"User-Agent": agent}
        )
        tokens[agent] = User(user.id, r.body["token"], user.email, user.role)
    listed = await api.call("GET", "/me/sessions", tokens[firefox])
    assert listed.status == 200
    devices = {s["device"]: s for s in listed.body["items"]}
    assert len(listed.body["items"]) == 3
    assert devices["Firefox on Windows"]["current"] is True
    assert devices["Safari on iPhone"]["current"] is False

    stranger = await api.signup()
    phone_id = devices["Safari on iPhone"]["id"]
    assert (await api.call("DELETE", f"/me/sessions/{phone_id}", stranger)).status == 404
    assert (await api.call("DELETE", f"/me/sessions/{phone_id}", tokens[firefox])).status == 200
    assert (await api.call("GET", "/me", tokens[phone])).status == 401

    others = await api.call("POST", "/me/sessions/revoke-others", tokens[firefox])
    assert others.status == 200 and others.body == {"revoked": 1}
    assert (await api.call("GET", "/me", user)).status == 401
    left = await api.call("GET", "/me/sessions", tokens[firefox])
    assert [s["device"] for s in left.body["items"]] == ["Firefox on Windows"]


async def test_mail_limits_hold_when_the_requests_come_at_once(api: Api) -> None:
    """A burst (a double click, a script) gets what one request after another gets: three
    confirmation links, three reset mails for an address, three address-change attempts an
    hour. Each used to count before any of them recorded, so 8 at once sent 4 to 9 mails."""
    user = await api.signup(verify=False)
    resends = await asyncio.gather(*(api.call("POST", "/me/verification-email", user) for _ in range(8)))
    assert sorted(r.status for r in resends) == [202] * 3 + [429] * 5, [r.body for r in resends]

    email = random_email()
    client = own_client()
    resets = await asyncio.gather(
        *(api.call("POST", "/auth/password-reset", json={"email": email}, headers=client) for _ in range(8))
    )
    assert sorted(r.status for r in resets) == [202] * 3 + [429] * 5

    changer = await api.signup()
    changes = await asyncio.gather(
        *(
            api.call("POST", "/me/email", changer, json={"password": PASSWORD, "new_email": random_email()})
            for _ in range(6)
        )
    )
    assert sorted(r.status for r in changes) == [202] * 3 + [429] * 3, [r.body for r in changes]


async def test_the_same_password_change_sent_at_once_is_made_once(api: Api) -> None:
    """Two tabs change the password at once with the same current one: one change, the
    other refused as it would be after it (the current password is no longer that), and
    one "password changed" mail, not one per request."""
    user = await api.signup()
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    answers = await asyncio.gather(*(api.call("POST", "/me/password", user, json=body) for _ in range(5)))
    assert sorted(a.status for a in answers) == [200, 403, 403, 403, 403], [a.body for a in answers]
    await api.mail(user.email, "Your Wardmate password was changed")
    login = await api.call("POST", "/auth/login", json={"email": user.email, "password": NEW_PASSWORD})
    assert login.status == 200


async def test_an_account_deleted_from_several_tabs_at_once_is_announced_once(api: Api, stack: Stack) -> None:
    """Deletes sent at once all answer as deleted, and one ``user.deleted`` leaves accounts:
    every service's erasure runs once, not once per request."""
    user = await api.signup()
    answers = await asyncio.gather(*(api.call("DELETE", "/me", user, json={"password": PASSWORD}) for _ in range(4)))
    # A request that reaches the gateway after the sessions were revoked is a 401.
    assert {a.status for a in answers} <= {200, 401} and 200 in {a.status for a in answers}, [a.body for a in answers]
    assert stack.database_url
    conn = await asyncpg.connect(stack.database_url)
    try:
        rows = await conn.fetch("SELECT payload FROM accounts.outbox WHERE subject = 'events.accounts.user.deleted'")
    finally:
        await conn.close()
    mine = [r for r in rows if json.loads(bytes(r["payload"]))["user_id"] == user.id]
    assert len(mine) == 1, len(mine)


async def test_an_unconfirmed_signup_holds_an_address_only_while_its_link_lives(api: Api, stack: Stack) -> None:
    """A sign-up with someone else's address holds it (409) while its confirmation link
    lives; after that the owner's sign-up replaces it: the squatter's session, link and
    password die, the owner confirms theirs. A confirmed account is never replaced."""
    email = random_email("owner")
    squatter_body = {"email": email, "password": PASSWORD, "display_name": "Squatter", "role": "professional"}
    squatter = await api.call("POST", "/auth/signup", json=squatter_body)
    assert squatter.status == 201
    squatter_user = User(squatter.body["user"]["id"], squatter.body["token"], email, "professional")
    owner_body = {"email": email, "password": NEW_PASSWORD, "display_name": "Owner", "role": "student"}
    assert (await api.call("POST", "/auth/signup", json=owner_body)).status == 409

    confirmed = await api.signup()
    conn = await asyncpg.connect(stack.service_url("accounts"), server_settings={"search_path": "accounts"})
    try:  # both accounts made before the 48 h of the confirmation link
        await conn.execute(
            "UPDATE users SET created_at = now() - interval '49 hours' WHERE lower(email) = ANY($1::text[])",
            [email, confirmed.email],
        )
    finally:
        await conn.close()

    owner = await api.call("POST", "/auth/signup", json=owner_body)
    assert owner.status == 201, owner.body
    assert owner.body["user"]["id"] != squatter_user.id and owner.body["user"]["role"] == "student"
    assert (await api.call("GET", "/me", squatter_user)).status == 401
    assert (await api.call("GET", f"/users/{squatter_user.id}")).status == 404
    bad = await api.call("POST", "/auth/login", json={"email": email, "password": PASSWORD})
    assert bad.status == 401
    old_link, new_link = (m.link("verify-email") for m in await api.mail(email, "Confirm your email address", count=2))
    assert (await api.call("POST", "/auth/verify-email", json={"token": link_token(old_link)})).status == 400
    verified = await api.call("POST", "/auth/verify-email", json={"token": link_token(new_link)})
    assert verified.status == 200 and verified.body["email_verified"]
    assert (await api.call("POST", "/auth/login", json={"email": email, "password": NEW_PASSWORD})).status == 200

    again = {"email": confirmed.email, "password": NEW_PASSWORD, "display_name": "Other", "role": "student"}
    assert (await api.call("POST", "/auth/signup", json=again)).status == 409
    assert (await api.call("GET", "/me", confirmed)).status == 200
