"""What each mail says: subject, lines and link, by kind. Pure: no I/O, no settings."""

from __future__ import annotations

import uuid

from services.accounts.mailer import Attachment, Mail
from shared.contracts.lifecycle import SecurityMailKind
from shared.errors import sentence

# (subject, lines before the button, button label, lines after)
_SECURITY: dict[str, tuple[str, list[str], str, list[str]]] = {
    "verify_email": (
        "Confirm your email address",
        [
            "Welcome to Wardmate. Confirm that this address is yours: until then you can look around, but not"
            " book a room or post one, take part in mentoring, or message anyone."
        ],
        "Confirm my address",
        ["The link works once, for 48 hours. If you did not sign up, ignore this mail."],
    ),
    "reset_password": (
        "Reset your Wardmate password",
        ["Someone (we hope you) asked to reset the password of your Wardmate account."],
        "Choose a new password",
        [
            "The link works once, for one hour. Setting a new password logs out every device.",
            "If you did not ask, ignore this mail: your password stays as it is.",
        ],
    ),
    "confirm_email_change": (
        "Confirm your new Wardmate address",
        ["You asked to use this address for your Wardmate account."],
        "Confirm this address",
        ["Until you confirm, your account keeps its old address. The link works once, for 48 hours."],
    ),
    "email_changed": (
        "Your Wardmate address was changed",
        [],
        "",
        [
            "If you did not make this change, write to {support} at once, from this address. A password"
            " reset cannot help here: its link would now go to the new address."
        ],
    ),
    "password_changed": (
        "Your Wardmate password was changed",
        [
            "The password of your Wardmate account was just changed, and your other devices were logged out.",
            "Your private calendar link was replaced too: subscribe to the new one from your settings.",
        ],
        "Open your settings",
        ["If you did not make this change, reset your password at once: {reset}"],
    ),
    "account_suspended": (
        "Your Wardmate account is suspended",
        [
            "Wardmate suspended your account. For now you cannot sign in, your rooms are out of search and"
            " booking, and nobody can send you messages.",
            "The people with a stay or a mentorship under way with you, or who wrote with you lately, were told.",
        ],
        "",
        ["To ask why, or to tell us your side, write to {support}."],
    ),
    "account_reinstated": (
        "Your Wardmate account is active again",
        [
            "Wardmate lifted the suspension of your account: you can sign in again, your rooms are back in"
            " search, and messages reach you.",
        ],
        "",
        ["Questions: write to {support}."],
    ),
}

# A notification mail's subject by kind; its text (naming the room and the person) is
# the notification's own.
SUBJECTS = {
    "booking_requested": "New booking request",
    "booking_accepted": "Your request is accepted: pay through Wardmate to confirm",
    # Both sides get it: the host's read "Your stay is confirmed" of their guest's stay.
    "booking_confirmed": "A stay is paid and confirmed",
    "payment_failed": "Your payment did not go through",
    "payment_due_soon": "Reminder: pay for your stay by its deadline",
    "payment_overdue": "A payment for a stay is overdue",
    "payment_refunded": "A refund is on its way",
    "payment_released": "Money released to your balance",
    "payment_reclaimed": "A refund to your guest lowers your payout",
    "booking_declined": "Booking request declined",
    "booking_nights_freed": "The nights you asked for are free again",
    "booking_cancelled": "Booking cancelled",
    # An unanswered request, or an accepted stay left unpaid: the text says which.
    "booking_expired": "A booking expired",
    "booking_shift_requested": "A change of dates was requested",
    "booking_shifted": "Your stay's dates changed",
    "booking_shift_declined": "Change of dates declined",
    "booking_shift_withdrawn": "Change of dates withdrawn",
    "check_in_soon": "Check-in is within a day",
    "review_invitation": "How was the stay? Leave a review",
    "review_posted": "You have a new review",
    "user_verified": "You are verified on Wardmate",
    "document_rejected": "Your verification document was not accepted",
    "credential_rejected": "Your NPI or licence was not accepted",
    "mentorship_requested": "New mentorship request",
    "mentorship_accepted": "Mentorship accepted",
    "mentorship_declined": "Mentorship request declined",
    "mentorship_ended": "Mentorship ended",
    "match_suggested": "A match for your rotation",
    "rotation_moved": "Your rotation moved: check your stays",
    "meeting_proposed": "A mentoring meeting was proposed",
    "meeting_scheduled": "Your mentoring meeting is scheduled",
    "meeting_declined": "Mentoring meeting declined",
    "meeting_rescheduled": "A mentoring meeting was rescheduled",
    "meeting_cancelled": "Mentoring meeting cancelled",
    "meeting_reminder": "Reminder: your mentoring meeting is within a day",
    "check_in_due": "A short check-in about your mentorship",
    "plan_updated": "Your mentoring plan changed",
    "letter_requested": "A letter of recommendation was requested",
    "letter_accepted": "Your letter request was accepted",
    "letter_declined": "Your letter request was declined",
    "letter_submitted": "Your letter was submitted",
    "letter_confirmed": "The student confirmed your letter arrived",
    "letter_withdrawn": "A letter request was withdrawn",
    "letter_expired": "A letter request reached its deadline",
    "letter_reminder": "Reminder: a letter of recommendation is due",
    "report_resolved": "We looked into your report",
    "account_suspended": "Wardmate suspended an account you deal with",
    "suspension_lifted": "A suspension on Wardmate was lifted",
}


def security_mail(
    kind: SecurityMailKind,
    to: str,
    name: str,
    url: str | None,
    key: str,
    *,
    new_email: str = "",
    support_email: str = "",
    public_url: str = "",
) -> Mail:
    """``support_email``: where the mail tells its reader to write (the settings' address);
    ``public_url``: the web client's origin, which a mail without a link of its own points to."""
    subject, lines, label, after = _SECURITY[kind]
    if kind == "email_changed":
        lines = [f"The address of your Wardmate account is now {new_email}; mail no longer comes here."]
    base = public_url.rstrip("/") + "/#/"
    if kind == "password_changed":
        url = url or base + "settings"  # the new calendar link and the devices are there
    after = [line.format(support=support_email, reset=base + "forgot-password") for line in after]
    return Mail(
        to=to,
        subject=subject,
        template="security",
        context={"name": name, "lines": lines, "action_label": label, "action_url": url, "after": after},
        key=key,
    )


# Notices about the user's own verification: their documents are on their profile page.
PROFILE_KINDS = frozenset({"user_verified", "document_rejected", "credential_rejected"})
# Notices of a mentorship's acceptance and of its plan (meetings, goals, notes, check-ins):
# the plan is where the reader acts on them.
PLAN_KINDS = frozenset(
    {
        "mentorship_accepted",
        "meeting_proposed",
        "meeting_scheduled",
        "meeting_declined",
        "meeting_rescheduled",
        "meeting_cancelled",
        "meeting_reminder",
        "check_in_due",
        "plan_updated",
    }
)


def web_link(
    public_url: str,
    booking_id: uuid.UUID | None,
    listing_id: uuid.UUID | None,
    conversation_id: uuid.UUID | None,
    kind: str = "",
    mentorship_id: uuid.UUID | None = None,
    letter_id: uuid.UUID | None = None,
    rotation_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
) -> tuple[str, str]:
    """Where a notification's mail points in the web client, and the link's words
    (``user_id``: the reader's)."""
    base = public_url.rstrip("/") + "/#/"
    if kind in PROFILE_KINDS:
        return "Open your profile", f"{base}profile"
    if kind in PLAN_KINDS and mentorship_id:
        return "Open the mentoring plan", f"{base}mentorships/{mentorship_id}"
    if kind.startswith("letter_"):
        # The request's page, where its writer accepts, submits or declines it (the mail
        # opened the notifications, whose notice opened the list: two hops). A withdrawal
        # carries none (nothing to do there; a deleted student's request is erased).
        if letter_id:
            return "Open the letter request", f"{base}letters/{letter_id}"
        return "See your letters", f"{base}letters"
    if kind == "booking_nights_freed" and listing_id:
        # To ask again: the room's page with the request's dates (the conversation only says so).
        query = f"?booking={booking_id}" if booking_id else ""
        return "Ask for the room again", f"{base}listings/{listing_id}{query}"
    if kind in ("booking_accepted", "payment_failed", "payment_due_soon") and booking_id:
        # Where the card is asked for (a refused card's mail led to every booking).
        return "Pay for the stay", f"{base}bookings/{booking_id}/pay"
    if kind in ("booking_confirmed", "check_in_soon") and booking_id:
        # Its card holds the exact address the mail says is there (the conversation does not).
        return "See the booking", f"{base}bookings?booking={booking_id}"
    if kind == "mentorship_requested":
        # Where Accept and Decline are (the conversation has neither).
        return "Answer the request", f"{base}mentorships"
    if kind == "review_invitation" and booking_id:
        # The stay's card, where "Review this stay" is (the conversation has no review).
        return "Review the stay", f"{base}bookings?booking={booking_id}"
    if kind == "review_posted" and user_id:
        # What was written of the reader is on their public profile, under Reviews (it led
        # to the bookings, where no review shows).
        return "See your reviews", f"{base}users/{user_id}"
    if kind in ("payment_released", "payment_reclaimed"):
        # A host's balance and its lines are under Payouts (it led to the bookings).
        return "See your payouts", f"{base}payouts"
    if kind == "booking_requested" and booking_id:
        # The request's card, where Accept and Decline are (it opened the conversation).
        return "Answer the request", f"{base}bookings?booking={booking_id}"
    if kind == "booking_shift_requested" and booking_id:
        # The stay's card, where the host accepts or declines the new dates.
        return "Answer the request", f"{base}bookings?booking={booking_id}"
    if kind == "booking_shifted" and booking_id:
        # The stay's card with its new dates and what is due (it opened the conversation).
        return "See the booking", f"{base}bookings?booking={booking_id}"
    if kind == "rotation_moved" and booking_id:
        # The form to ask the host for the new dates, filled in, as the notice opens.
        return "Ask the host for new dates", f"{base}bookings?shift={booking_id}"
    if conversation_id:
        return "Open the conversation", f"{base}inbox/{conversation_id}"
    if booking_id:
        return "See your bookings", f"{base}bookings"
    if listing_id and rotation_id:
        # A room suggested for a rotation: its page with the rotation's dates filled in.
        return "See the listing", f"{base}listings/{listing_id}?rotation={rotation_id}"
    if listing_id:
        return "See the listing", f"{base}listings/{listing_id}"
    if rotation_id:
        # A suggested mentor: the rotation's page lists its matches, with the request.
        return "See your rotation's matches", f"{base}rotations/{rotation_id}"
    return "See your notifications", f"{base}notifications"


# How much of a room's title a subject carries (mail lists cut long subjects anyway).
ROOM_IN_SUBJECT = 60


def notification_mail(
    kind: str,
    to: str,
    name: str,
    text: str,
    link: tuple[str, str],
    unsubscribe_url: str | None,
    key: str,
    attachments: tuple[Attachment, ...] = (),
    room: str | None = None,
) -> Mail:
    """A notice by mail; ``room``: the title of the stay's room, named in the subject ("New
    booking request — Quiet room by Hopkins"): a host of three rooms read the same subject
    for each, and a guest with two stays could not tell their mails apart in the list."""
    label, url = link
    subject = SUBJECTS.get(kind, "News from Wardmate")
    if room:
        subject += f" — {room if len(room) <= ROOM_IN_SUBJECT else room[: ROOM_IN_SUBJECT - 1].rstrip() + '…'}"
    return Mail(
        to=to,
        subject=subject,
        template="notification",
        # Notices are stored as short lines, most without a full stop.
        context={"name": name, "text": sentence(text), "action_label": label, "action_url": url},
        unsubscribe_url=unsubscribe_url,
        attachments=attachments,
        key=key,
    )


def digest_mail(
    to: str, name: str, messages: int, conversations: int, public_url: str, unsubscribe_url: str, key: str
) -> Mail:
    return Mail(
        to=to,
        subject=f"{messages} unread message{'s' if messages != 1 else ''} on Wardmate",
        template="digest",
        context={
            "name": name,
            "messages": messages,
            "conversations": conversations,
            "action_url": public_url.rstrip("/") + "/#/inbox",
        },
        unsubscribe_url=unsubscribe_url,
        key=key,
    )


def suggestions_mail(
    to: str, name: str, items: list[tuple[str, tuple[str, str]]], rotations: int, unsubscribe_url: str, key: str
) -> Mail:
    """The match suggestions that came together (``items``: each one's text and link, for
    ``rotations`` rotations), in one mail; a suggestion alone reads as its notification's."""
    if len(items) == 1:
        [(text, link)] = items
        return notification_mail("match_suggested", to, name, text, link, unsubscribe_url, key)
    whose = "your rotation" if rotations == 1 else "your rotations"
    return Mail(
        to=to,
        subject=f"{len(items)} matches for {whose}",
        template="suggestions",
        context={
            "whose": whose,
            "name": name,
            "items": [{"text": text, "action_label": label, "action_url": url} for text, (label, url) in items],
        },
        unsubscribe_url=unsubscribe_url,
        key=key,
    )
