"""Pure rules of the account lifecycle: signed links, their expiry and purpose, devices."""

from __future__ import annotations

import email
import email.policy
import uuid
from datetime import UTC, datetime, timedelta
from typing import get_args

import pytest

from services.accounts.domain import lifecycle
from services.accounts.mailer import Mailer, wire_bytes
from services.accounts.views.mail import SUBJECTS, digest_mail, notification_mail, web_link
from shared.contracts.lifecycle import MAIL_KINDS, SAFETY_KINDS, MailKind
from shared.contracts.messaging import NotificationKind
from shared.errors import AppError
from shared.settings import Settings

SECRET = "test-secret"
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
USER = uuid.uuid4()


def test_a_verification_link_reads_back_until_it_expires() -> None:
    token = lifecycle.verify_token(SECRET, USER, "a@b.test", "nonce", NOW + timedelta(hours=48))
    payload = lifecycle.read_link(SECRET, lifecycle.VERIFY, token, NOW + timedelta(hours=47))
    assert payload == {"u": USER, "e": "a@b.test", "n": "nonce"}
    with pytest.raises(AppError):
        lifecycle.read_link(SECRET, lifecycle.VERIFY, token, NOW + timedelta(hours=48, seconds=1))


def test_a_link_is_refused_for_another_purpose_secret_or_a_changed_byte() -> None:
    token = lifecycle.verify_token(SECRET, USER, "a@b.test", "nonce", NOW + timedelta(hours=1))
    for purpose, secret, text in (
        (lifecycle.RESET, SECRET, token),
        (lifecycle.VERIFY, "other-secret", token),
        (lifecycle.VERIFY, SECRET, token[:5] + ("A" if token[5] != "A" else "B") + token[6:]),
        (lifecycle.VERIFY, SECRET, "garbage"),
    ):
        with pytest.raises(AppError):
            lifecycle.read_link(secret, purpose, text, NOW)


def test_a_reset_link_stops_working_once_the_password_changes() -> None:
    token = lifecycle.reset_token(SECRET, USER, "a@b.test", "hash-1", "n", NOW + timedelta(hours=1))
    payload = lifecycle.read_link(SECRET, lifecycle.RESET, token, NOW)
    lifecycle.check_reset_link(payload, "a@b.test", "hash-1")
    with pytest.raises(AppError):
        lifecycle.check_reset_link(payload, "a@b.test", "hash-2")


def test_a_reset_link_works_only_for_the_address_it_was_mailed_to() -> None:
    """Once the account's address is another, a link mailed to the old one is invalid; so
    is a link that names no address (mailed before links named theirs)."""
    token = lifecycle.reset_token(SECRET, USER, "old@b.test", "hash-1", "n", NOW + timedelta(hours=1))
    payload = lifecycle.read_link(SECRET, lifecycle.RESET, token, NOW)
    lifecycle.check_reset_link(payload, "OLD@b.test", "hash-1")
    with pytest.raises(AppError, match="invalid or has expired"):
        lifecycle.check_reset_link(payload, "new@b.test", "hash-1")
    with pytest.raises(AppError, match="invalid or has expired"):
        lifecycle.check_reset_link({k: v for k, v in payload.items() if k != "e"}, "old@b.test", "hash-1")


def test_verification_notices_link_to_the_profile() -> None:
    """A verification's mail opens the profile, where the documents are; others keep theirs."""
    for kind in ("user_verified", "document_rejected", "credential_rejected"):
        assert web_link("http://w.test", None, None, None, kind) == ("Open your profile", "http://w.test/#/profile")
    assert web_link("http://w.test", None, None, None, "review_posted")[1] == "http://w.test/#/notifications"


def test_review_and_payout_notices_link_to_where_they_show() -> None:
    """A review invitation opens the stay's card (with "Review this stay"), not the
    conversation; a new review the reader's public profile, where reviews show; a release
    or a reclaim the payouts, not every booking."""
    booking, conversation, user = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert web_link("http://w.test", booking, None, conversation, "review_invitation") == (
        "Review the stay",
        f"http://w.test/#/bookings?booking={booking}",
    )
    assert web_link("http://w.test", booking, None, None, "review_posted", user_id=user) == (
        "See your reviews",
        f"http://w.test/#/users/{user}",
    )
    for kind in ("payment_released", "payment_reclaimed"):
        assert web_link("http://w.test", booking, None, None, kind) == ("See your payouts", "http://w.test/#/payouts")


def test_new_dates_notices_link_to_the_stays_card_and_a_moved_rotation_to_its_form() -> None:
    """New dates asked for open the card where the host answers, new dates accepted the card
    with them (both opened the conversation); a moved rotation the form to ask for new
    dates, filled in, as its notice does (it opened every booking)."""
    booking, conversation = uuid.uuid4(), uuid.uuid4()
    assert web_link("http://w.test", booking, None, conversation, "booking_shift_requested") == (
        "Answer the request",
        f"http://w.test/#/bookings?booking={booking}",
    )
    assert web_link("http://w.test", booking, None, conversation, "booking_shifted") == (
        "See the booking",
        f"http://w.test/#/bookings?booking={booking}",
    )
    assert web_link("http://w.test", booking, None, None, "rotation_moved") == (
        "Ask the host for new dates",
        f"http://w.test/#/bookings?shift={booking}",
    )


def test_plan_and_acceptance_notices_link_to_where_the_reader_acts() -> None:
    """A mentorship's acceptance and its plan's notices open that plan; a booking's
    acceptance opens its payment; without the id (older events) they keep their links."""
    mentorship, booking, conversation = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for kind in ("mentorship_accepted", "meeting_proposed", "check_in_due", "plan_updated"):
        assert web_link("http://w.test", None, None, conversation, kind, mentorship) == (
            "Open the mentoring plan",
            f"http://w.test/#/mentorships/{mentorship}",
        )
    assert web_link("http://w.test", None, None, conversation, "mentorship_accepted")[1].endswith(
        f"inbox/{conversation}"
    )
    # A mentorship request opens the mentorships, where Accept and Decline are; a paid
    # stay its booking, where the address is (both opened the conversation).
    assert web_link("http://w.test", None, None, conversation, "mentorship_requested", mentorship) == (
        "Answer the request",
        "http://w.test/#/mentorships",
    )
    assert web_link("http://w.test", booking, None, conversation, "booking_confirmed") == (
        "See the booking",
        f"http://w.test/#/bookings?booking={booking}",
    )
    assert web_link("http://w.test", booking, None, conversation, "booking_accepted") == (
        "Pay for the stay",
        f"http://w.test/#/bookings/{booking}/pay",
    )
    assert web_link("http://w.test", booking, None, conversation, "booking_declined")[1].endswith(
        f"inbox/{conversation}"
    )
    # A refused card's mail opens the pay page (it listed every booking); a request's, the
    # request's card with Accept and Decline (it opened the conversation).
    assert web_link("http://w.test", booking, None, None, "payment_failed") == (
        "Pay for the stay",
        f"http://w.test/#/bookings/{booking}/pay",
    )
    assert web_link("http://w.test", booking, None, conversation, "booking_requested") == (
        "Answer the request",
        f"http://w.test/#/bookings?booking={booking}",
    )


def test_letter_and_suggestion_mails_open_the_letter_and_the_rotation() -> None:
    """A letter's mail opens that request (the writer acts there; it opened the
    notifications, whose notice opened the list: two hops); a suggested mentor's opens the
    rotation's matches, a suggested room the room. A letter's without the id (a
    withdrawal, an older notice) opens the list of letters."""
    letter, rotation, listing = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for kind in ("letter_requested", "letter_accepted", "letter_submitted", "letter_confirmed", "letter_reminder"):
        assert web_link("http://w.test", None, None, None, kind, letter_id=letter) == (
            "Open the letter request",
            f"http://w.test/#/letters/{letter}",
        )
        assert web_link("http://w.test", None, None, None, kind)[1] == "http://w.test/#/letters"
    assert web_link("http://w.test", None, None, None, "match_suggested", rotation_id=rotation) == (
        "See your rotation's matches",
        f"http://w.test/#/rotations/{rotation}",
    )
    # A suggested room opens with its rotation's dates filled in (the bare room asked for them).
    assert web_link("http://w.test", None, listing, None, "match_suggested", rotation_id=rotation) == (
        "See the listing",
        f"http://w.test/#/listings/{listing}?rotation={rotation}",
    )
    # The writer is told the student confirmed the letter arrived, not "the letter".
    assert SUBJECTS["letter_confirmed"] == "The student confirmed your letter arrived"


def test_unsubscribe_links_never_expire() -> None:
    token = lifecycle.unsubscribe_token(SECRET, USER, "digest")
    assert lifecycle.read_link(SECRET, lifecycle.UNSUBSCRIBE, token, NOW + timedelta(days=3650))["k"] == "digest"


@pytest.mark.parametrize(
    ("agent", "device"),
    [
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox on Windows"),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Version/17.5 Safari/604.1", "Safari on iPhone"),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36", "Chrome on Linux"),
        ("curl/8.5.0", "curl"),
        (None, "Unknown device"),
    ],
)
def test_device_names_from_user_agents(agent: str | None, device: str) -> None:
    assert lifecycle.device(agent) == device


def test_the_digest_is_due_once_its_hour_has_come() -> None:
    assert lifecycle.digest_day(NOW.replace(hour=6), 7) is None
    assert lifecycle.digest_day(NOW.replace(hour=7), 7) == NOW.date()


def test_a_notification_mail_escapes_html_and_carries_rfc_8058_headers() -> None:
    mail = notification_mail(
        "booking_requested",
        "host@x.test",
        "Dr. <b>Host</b>",
        "Ana asked for <Room & Co>",
        ("Open", "http://w.test/#/inbox/1"),
        "http://w.test/api/v1/mail/unsubscribe?token=t",
        "key",
    )
    message = Mailer(Settings()).render(mail)
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "&lt;Room &amp; Co&gt;" in html and "<b>Host</b>" not in html
    assert "Ana asked for <Room & Co>" in text
    assert message["List-Unsubscribe"] == "<http://w.test/api/v1/mail/unsubscribe?token=t>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_every_notification_kind_has_a_mail() -> None:
    """The preferences list every kind messaging notifies of but the safety notices, which
    are always mailed; each kind has a subject."""
    assert set(MAIL_KINDS) == set(get_args(MailKind)) == set(get_args(NotificationKind)) - SAFETY_KINDS
    assert SAFETY_KINDS == {"account_suspended", "suspension_lifted"}
    assert set(get_args(NotificationKind)) <= set(SUBJECTS)


def test_a_digest_of_one_message_reads_in_the_singular() -> None:
    """ "You have 1 unread message in 1 conversation … Read them"."""
    for count, words in ((1, "Read it"), (3, "Read them")):
        mail = digest_mail("a@w.test", "Kemi", count, 1, "http://w.test", "http://w.test/u", "key")
        message = Mailer(Settings()).render(mail)
        for part in ("plain", "html"):
            content = message.get_body((part,)).get_content()  # type: ignore[union-attr]
            assert words in content and ("Read them" in content) == (count > 1), content


def test_the_unsubscribe_page_names_the_kind_from_the_token_unchecked() -> None:
    """The link's GET says what it would stop before the click, read with `signing.peek`
    (no secret at the gateway's redirect); the POST checks the signature. A cut or foreign
    token names nothing, and a forged one names only what it claims."""
    from services.gateway.links import _kind_label
    from shared import signing

    token = lifecycle.unsubscribe_token(SECRET, uuid.uuid4(), "booking_requested")
    assert _kind_label(token) == "A student asks to book one of your rooms"
    for broken in ("", "abc", token[:5], "e30.x", signing.sign(SECRET, "unsubscribe", {"k": "no_such_kind"}, None)):
        assert _kind_label(broken) is None
    assert signing.peek(token) == signing.unsign(SECRET, lifecycle.UNSUBSCRIBE, token, NOW)


def test_a_stays_mail_names_its_room_in_the_subject_cut_to_fit() -> None:
    def subject(room: str | None) -> str:
        link = ("Open", "http://w.test/#/bookings")
        return notification_mail("booking_confirmed", "g@x.test", "G", "Paid", link, None, "k", room=room).subject

    assert subject(None) == "A stay is paid and confirmed"
    assert subject("Quiet room by Hopkins") == "A stay is paid and confirmed — Quiet room by Hopkins"
    long = subject("A " + "very " * 30 + "long title")
    assert long.endswith("…") and len(long) == len("A stay is paid and confirmed — ") + 60, long


def test_a_long_subject_with_a_dash_reads_with_one_space() -> None:
    """Folded at 78 characters before its encoded dash, the subject read "to confirm  —
    Sunny room" (two spaces): it goes on the wire unfolded up to 998 characters."""
    mail = notification_mail(
        "booking_accepted",
        "guest@x.test",
        "Guest",
        "Your request is accepted",
        ("Open", "http://w.test/#/bookings"),
        None,
        "key",
        room="Sunny room with a desk near Hopkins",
    )
    message = Mailer(Settings()).render(mail)
    wire = wire_bytes(message)
    back = email.message_from_bytes(wire, policy=email.policy.default)
    assert str(back["Subject"]) == mail.subject and "  " not in str(back["Subject"]), back["Subject"]
    assert "—" in mail.subject and len(mail.subject) > 78, mail.subject
    assert b"\r\n" in wire and b"\n\n" not in wire.replace(b"\r\n", b"")
