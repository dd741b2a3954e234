"""Contracts of the account lifecycle (accounts): email verification, password reset and
change, email change, sessions, mail preferences; and the events that ask for a mail."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, ClassVar, Literal, get_args

from pydantic import Field

from shared.contracts.accounts import Email, Password
from shared.contracts.base import Contract, Event, Id, Reply, Text
from shared.contracts.messaging import NotificationKind

LinkToken = Annotated[Text, Field(min_length=10, max_length=2000, description="the token of the mailed link")]
AnyPassword = Annotated[Text, Field(min_length=1, max_length=128)]

# Mails about the account itself: always sent, whatever the preferences say.
SecurityMailKind = Literal[
    "verify_email",
    "reset_password",
    "confirm_email_change",
    "email_changed",
    "password_changed",
]

# Notification kinds one can turn off by mail: every kind messaging notifies of.
MailKind = NotificationKind
MAIL_KINDS: tuple[str, ...] = get_args(NotificationKind)


# --- requests -------------------------------------------------------------------------


class LinkRequest(Contract):
    """The token of a link we mailed (verification, email change, unsubscribe)."""

    token: LinkToken


class PasswordResetRequest(Contract):
    """Ask for a reset link. The answer is the same whether or not the address has an
    account, and so is its timing."""

    email: Annotated[Text, Field(min_length=1, max_length=254)]
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
    muted_kinds: list[str]
    digest: bool
    kinds: list[str] = list(MAIL_KINDS)


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
