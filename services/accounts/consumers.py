"""Durable consumers of accounts that send mail: security mails asked for by accounts'
own handlers, and a mail for each notification messaging creates (when the user's
preferences say so).

Each event is applied once through the inbox; the mail is handed to the SMTP server
inside the inbox transaction, so a server that refuses or is down fails the event,
which is retried with back-off and then dead-lettered like any other, and a mail is
sent again only if the process dies between the server's acceptance and the commit.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from nats.aio.client import Client as NATS

from services.accounts.domain import calendar, lifecycle
from services.accounts.mailer import Attachment, Mailer
from services.accounts.store import lifecycle as lstore
from services.accounts.views import mail as mailtext
from shared import bus, clock, subjects
from shared.contracts.base import Actor, Event
from shared.contracts.calendar import CalendarStay
from shared.contracts.lifecycle import SAFETY_KINDS, AccountMailRequested
from shared.contracts.messaging import NotificationCreated
from shared.db import Connection
from shared.errors import AppError
from shared.service import Context, Registry
from shared.settings import Settings

registry = Registry()


class _Runtime:
    """The settings, sender and bus of this process, set at startup (consumers get a
    connection and an event only)."""

    settings: Settings
    mailer: Mailer
    nc: NATS


runtime = _Runtime()


@registry.on_startup
async def start_mailer(ctx: Context) -> None:
    runtime.settings = ctx.settings
    runtime.mailer = Mailer(ctx.settings)
    runtime.nc = ctx.nc


def _link(event: AccountMailRequested, old_email: str, password_hash: str) -> str | None:
    s = runtime.settings
    if event.nonce is None or event.expires_at is None:
        return None
    if event.kind == "verify_email":
        token = lifecycle.verify_token(s.secret_key, event.user_id, event.to, event.nonce, event.expires_at)
        return lifecycle.link(s.public_url, lifecycle.VERIFY, token)
    if event.kind == "reset_password":
        token = lifecycle.reset_token(
            s.secret_key, event.user_id, event.to, password_hash, event.nonce, event.expires_at
        )
        return lifecycle.link(s.public_url, lifecycle.RESET, token)
    if event.kind == "confirm_email_change":
        token = lifecycle.email_change_token(
            s.secret_key, event.user_id, old_email, event.to, event.nonce, event.expires_at
        )
        return lifecycle.link(s.public_url, lifecycle.EMAIL_CHANGE, token)
    return None


@registry.consumer("mail-account", AccountMailRequested.subject)
async def send_account_mail(conn: Connection, event: Event) -> None:
    """A verification, reset or change mail: always sent, whatever the preferences."""
    assert isinstance(event, AccountMailRequested)
    user = await lstore.contact(conn, event.user_id)
    if user is None:
        return  # the account was deleted since: nobody to write to
    url = _link(event, user["email"], user["password_hash"])
    mail = mailtext.security_mail(
        event.kind,
        event.to,
        user["display_name"],
        url,
        event.event_id.hex,
        new_email=user["email"],
        support_email=runtime.settings.support_email,
        public_url=runtime.settings.public_url,
    )
    await runtime.mailer.send(mail)


@registry.consumer("mail-notifications", NotificationCreated.subject)
async def send_notification_mail(conn: Connection, event: Event) -> None:
    """A notification by mail, unless the user turned its kind off (safety notices cannot
    be) or has not confirmed the address (we write only to addresses proven to be theirs)."""
    assert isinstance(event, NotificationCreated)
    user = await lstore.contact(conn, event.user_id)
    if user is None or user["email_verified_at"] is None:
        return
    s = runtime.settings
    unsubscribe = None
    if event.kind not in SAFETY_KINDS:  # a safety notice always comes, as security mails do
        prefs = await lstore.preferences(conn, event.user_id)
        if prefs is not None and event.kind in prefs["muted_kinds"]:
            return
        unsubscribe = lifecycle.link(
            s.public_url, lifecycle.UNSUBSCRIBE, lifecycle.unsubscribe_token(s.secret_key, event.user_id, event.kind)
        )
    link = mailtext.web_link(
        s.public_url,
        event.booking_id,
        event.listing_id,
        event.conversation_id,
        event.kind,
        event.mentorship_id,
        letter_id=event.letter_id,
        rotation_id=event.rotation_id,
        user_id=event.user_id,
    )
    if event.kind in HELD_KINDS:
        # Mailed with the others that come with it (services/accounts/jobs.py).
        now = clock.now(s)
        await lstore.hold_suggestion(conn, event.event_id, user["id"], event.rotation_id, event.text, link, now)
        return
    attachments: tuple[Attachment, ...] = ()
    if event.kind in STAY_MAILS | CANCELLED_STAY_MAILS and event.booking_id is not None:
        attachments = await _stay_attachment(conn, user["id"], user["role"], event.booking_id, event.kind)
    mail = mailtext.notification_mail(
        event.kind,
        user["email"],
        user["display_name"],
        event.text,
        link,
        unsubscribe,
        event.event_id.hex,
        attachments,
        room=event.room,
    )
    await runtime.mailer.send(mail)


# A new rotation brings its rooms and mentors within a second: one mail of them all.
HELD_KINDS = frozenset({"match_suggested"})

# A confirmed (paid) or moved stay's mail carries it as an .ics file for the reader's calendar.
STAY_MAILS = frozenset({"booking_confirmed", "booking_shifted"})
# And so does the mail of its cancellation (the other side's notice, or the refund of the
# guest who cancelled), as STATUS:CANCELLED with a higher SEQUENCE, once it was paid: the
# stay its confirmation added stayed in the calendar of whoever does not subscribe to the feed.
CANCELLED_STAY_MAILS = frozenset({"booking_cancelled", "payment_refunded"})


async def _stay_attachment(
    conn: Connection, user_id: uuid.UUID, role: str, booking_id: uuid.UUID, kind: str
) -> tuple[Attachment, ...]:
    s = runtime.settings
    actor = Actor(user_id=user_id, role=role, email_verified=True)
    try:
        stay = await bus.request(
            runtime.nc,
            subjects.CALENDAR_STAY,
            {"booking_id": str(booking_id)},
            CalendarStay,
            actor=actor,
            timeout=s.request_timeout_s,
        )
    except AppError as exc:
        if exc.code != "not_found":
            raise
        return ()
    if kind in CANCELLED_STAY_MAILS and not (stay.status == "cancelled" and stay.was_confirmed):
        return ()  # a request withdrawn, or a refund of a stay still on: nothing to take out
    # The other side by name, as the feed has it (a deleted account's row is gone).
    names = await lstore.display_names(conn, [stay.other_id]) if stay.other_id else {}
    ics = calendar.stay_invite(stay, s.public_url, datetime.now(UTC), names)
    return (Attachment("stay.ics", "text", "calendar", ics, {"method": "PUBLISH"}),)
