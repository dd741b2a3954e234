"""Contracts of the account lifecycle (accounts): email verification, password reset and
change, email change, sessions, mail preferences; and the events that ask for a mail."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, ClassVar, Literal, get_args

from pydantic import Field

from shared.contracts.accounts import Email, Password
from shared.contracts.base import Contract, Event, Id, Reply, Text
from shared.contracts.messaging import OptionalNoticeKind, SafetyNoticeKind

# Any length up to the cap: a link cut short is refused as one that is wrong or expired
# ("this link is invalid or has expired"), not as a field too short to read.
LinkToken = Annotated[Text, Field(min_length=1, max_length=2000, description="the token of the mailed link")]
AnyPassword = Annotated[Text, Field(min_length=1, max_length=128)]

# Mails about the account itself: always sent, whatever the preferences say.
SecurityMailKind = Literal[
    "verify_email",
    "reset_password",
    "confirm_email_change",
    "email_changed",
    "password_changed",
    "account_suspended",
    "account_reinstated",
]

# Notification kinds one can turn off by mail: every kind messaging notifies of but the
# safety notices, which are always mailed (without an unsubscribe link).
MailKind = OptionalNoticeKind
MAIL_KINDS: tuple[str, ...] = get_args(OptionalNoticeKind)
SAFETY_KINDS: frozenset[str] = frozenset(get_args(SafetyNoticeKind))

STUDENT, PROFESSIONAL = frozenset({"student"}), frozenset({"professional"})
BOTH = STUDENT | PROFESSIONAL
# Each kind as the preferences list says it, its group, and who is ever told of it (a
# guest, mentee or letter requester is a student; a host, mentor or letter writer a
# professional): a student was offered "booking requested" and "letter requested", and
# every kind read as its code ("booking shift withdrawn"). Operators see them all.
MAIL_CHOICES: dict[str, tuple[str, str, frozenset[str]]] = {
    "booking_requested": ("Stays", "A student asks to book one of your rooms", PROFESSIONAL),
    "booking_accepted": ("Stays", "A host accepts your booking request", STUDENT),
    "booking_declined": ("Stays", "A host declines your booking request", STUDENT),
    "booking_nights_freed": ("Stays", "Nights you asked for, taken by another stay, are free again", STUDENT),
    "booking_confirmed": ("Stays", "A stay is paid and confirmed", BOTH),
    "booking_cancelled": ("Stays", "A stay or request is cancelled", BOTH),
    "booking_expired": ("Stays", "A request goes unanswered or a stay unpaid, and expires", BOTH),
    "booking_shift_requested": ("Stays", "A guest asks to move their stay's dates", PROFESSIONAL),
    "booking_shift_withdrawn": ("Stays", "A guest no longer asks to move their dates", PROFESSIONAL),
    "booking_shifted": ("Stays", "A host moves your stay to the dates you asked", STUDENT),
    "booking_shift_declined": ("Stays", "A host cannot move your stay", STUDENT),
    "rotation_moved": ("Stays", "One of your rotations moves: check your stays", STUDENT),
    "check_in_soon": ("Stays", "A stay checks in within a day", BOTH),
    "review_invitation": ("Stays", "A stay is over: review it", BOTH),
    "review_posted": ("Stays", "Someone reviews you", BOTH),
    "payment_failed": ("Payments", "A payment of yours does not go through", STUDENT),
    "payment_due_soon": ("Payments", "A payment of yours is due within 12 hours", STUDENT),
    "payment_overdue": ("Payments", "A payment for a stay is overdue", BOTH),
    "payment_refunded": ("Payments", "Money is refunded to you", STUDENT),
    "payment_released": ("Payments", "Money is released to your balance", PROFESSIONAL),
    "payment_reclaimed": ("Payments", "A refund to your guest takes from your balance or a payout", PROFESSIONAL),
    "mentorship_requested": ("Mentoring", "A student asks you to mentor them", PROFESSIONAL),
    "mentorship_accepted": ("Mentoring", "A mentor accepts your request", STUDENT),
    "mentorship_declined": ("Mentoring", "A mentor declines your request", STUDENT),
    "mentorship_ended": ("Mentoring", "A mentorship is ended", BOTH),
    "match_suggested": ("Mentoring", "Wardmate finds a room or mentor for your rotation", STUDENT),
    "meeting_proposed": ("Mentoring", "Meeting times are proposed", BOTH),
    "meeting_scheduled": ("Mentoring", "A meeting is scheduled", BOTH),
    "meeting_declined": ("Mentoring", "Proposed meeting times are declined", BOTH),
    "meeting_rescheduled": ("Mentoring", "A meeting is moved to new times", BOTH),
    "meeting_cancelled": ("Mentoring", "A meeting is cancelled", BOTH),
    "meeting_reminder": ("Mentoring", "A meeting is less than a day away", BOTH),
    "check_in_due": ("Mentoring", "A short check-in about your mentorship is due", BOTH),
    "plan_updated": ("Mentoring", "Your mentoring partner adds or changes a goal, or shares a note", BOTH),
    "letter_requested": ("Letters", "A student asks you for a letter", PROFESSIONAL),
    "letter_accepted": ("Letters", "A writer accepts your letter request", STUDENT),
    "letter_declined": ("Letters", "A writer declines your letter request", STUDENT),
    "letter_submitted": ("Letters", "Your letter is uploaded", STUDENT),
    "letter_confirmed": ("Letters", "A student confirms your letter arrived", PROFESSIONAL),
    "letter_withdrawn": ("Letters", "A student withdraws a letter request", PROFESSIONAL),
    "letter_expired": ("Letters", "A letter request reaches its deadline", BOTH),
    "letter_reminder": ("Letters", "A letter is due soon", BOTH),
    "user_verified": ("Your account", "You are verified", BOTH),
    "document_rejected": ("Your account", "A verification document is not accepted", BOTH),
    "credential_rejected": ("Your account", "Your NPI or licence is not accepted", PROFESSIONAL),
    "report_resolved": ("Your account", "Wardmate has looked into a report you sent", BOTH),
}


class MailChoice(Reply):
    """One kind of mail a user can turn off, as the preferences list shows it."""

    kind: str
    group: str
    label: str


def mail_choices(role: str | None) -> list[MailChoice]:
    """The kinds of mail ``role`` can get, in the list's order (an operator: all)."""
    return [
        MailChoice(kind=kind, group=group, label=label)
        for kind, (group, label, roles) in MAIL_CHOICES.items()
        if role not in BOTH or role in roles
    ]


# --- requests -------------------------------------------------------------------------


class LinkRequest(Contract):
    """The token of a link we mailed (verification, email change, unsubscribe, a reset's check)."""

    token: LinkToken


class PasswordResetRequest(Contract):
    """Ask for a reset link. The answer is the same whether or not the address has an
    account, and so is its timing; text that is no address is a 400 beside the field, as at
    sign-up (it was told "a link is on its way", and waited for it)."""

    email: Email
    client_address: Text | None = Field(None, description="set by the gateway")


class PasswordResetConfirm(Contract):
    """Set a new password with a reset link's token; every session ends."""

    token: LinkToken
    password: Password


class ChangePasswordRequest(Contract):
    """A new password, given the current one; the caller's other sessions end."""

    current_password: AnyPassword
    new_password: Password
    token: Text | None = Field(None, description="set by the gateway")


class ChangeEmailRequest(Contract):
    """A new address, given the password; it changes once confirmed from the new address."""

    password: AnyPassword
    new_email: Email


class SessionIdRequest(Contract):
    session_id: Annotated[Id, Field(description="an id from GET /me/sessions")]


class CurrentSessionRequest(Contract):
    token: Text | None = Field(None, description="set by the gateway")


class PreferencesUpdate(Contract):
    """Mail preferences: the notification kinds not to mail, and the daily digest."""

    muted_kinds: Annotated[list[MailKind], Field(max_length=len(MAIL_KINDS))]
    digest: bool


# --- replies --------------------------------------------------------------------------


class Accepted(Reply):
    """A request taken; what follows arrives by mail (if anything does)."""

    message: str


class SessionItem(Reply):
    id: uuid.UUID
    device: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    current: bool


class SessionList(Reply):
    items: list[SessionItem]


class Revoked(Reply):
    revoked: int


class Preferences(Reply):
    """Mail preferences; ``choices`` are the kinds this user can get, with their words
    (``kinds``: the same, as codes)."""

    muted_kinds: list[str]
    digest: bool
    kinds: list[str] = list(MAIL_KINDS)
    choices: list[MailChoice] = Field(default_factory=lambda: mail_choices(None))

    @classmethod
    def of(cls, role: str | None, muted_kinds: list[str], digest: bool) -> Preferences:
        """``muted_kinds`` among the role's own (one muted before a PUT had to be, a
        student's of hosts' mail, would have made the web client's next PUT, which sends
        the list back, a 400)."""
        choices = mail_choices(role)
        kinds = [c.kind for c in choices]
        muted = [kind for kind in muted_kinds if kind in kinds]
        return cls(muted_kinds=muted, digest=digest, kinds=kinds, choices=choices)


class EmailStatus(Reply):
    email: str
    email_verified: bool


# --- events ---------------------------------------------------------------------------


class AccountMailRequested(Event):
    """A security mail to send (accounts' own mail consumer sends it). The link's token is
    not carried: the sender signs it from ``nonce`` and ``expires_at``."""

    subject: ClassVar[str] = "events.accounts.mail.requested"
    kind: SecurityMailKind
    user_id: uuid.UUID
    to: str
    nonce: str | None = None
    expires_at: datetime | None = None
