"""Pure rules of messaging: message bodies, the send rate, what each booking, review,
verification and document event says and to whom, and when a push replay must resync.

No I/O here: ``store`` holds the SQL, ``handlers`` and ``consumers`` run both in one
transaction.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import cast, get_args

from shared import timezones
from shared.contracts.accounts import CredentialRejected, UserData, visible
from shared.contracts.documents import DocumentRejected
from shared.contracts.listings import (
    BookingAccepted,
    BookingCancelled,
    BookingCheckInSoon,
    BookingCompleted,
    BookingConfirmed,
    BookingDeclined,
    BookingExpired,
    BookingNightsFreed,
    BookingRequested,
    BookingShiftDeclined,
    BookingShifted,
    BookingShiftRequested,
    BookingShiftWithdrawn,
    ReviewData,
)
from shared.contracts.matching import (
    MatchSuggested,
    MentorshipAccepted,
    MentorshipDeclined,
    MentorshipEnded,
    MentorshipRequested,
    RotationMoved,
)
from shared.contracts.mentoring import MentoringNotice
from shared.contracts.messaging import MAX_BODY, NotificationKind
from shared.contracts.payments import (
    PaymentDue,
    PaymentDueSoon,
    PaymentFailed,
    PaymentOverdue,
    PaymentRefunded,
    PaymentReleased,
)
from shared.dates import written
from shared.errors import AppError

RATE_WINDOW = timedelta(minutes=1)
CONVERSATION_NOT_FOUND = AppError("not_found", "conversation not found")


# C0 and C1 controls other than tab and line breaks: a bell or an escape in a message.
_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# The explicit bidi embeddings and overrides (LRE, RLE, PDF, LRO, RLO): an override
# reverses how the text after it displays ("invoice_\u202etxt.exe" reads as
# "invoice_exe.txt"), and unclosed it reaches past the message in a client that does not
# isolate it. Writers of Arabic or Hebrew never need them: the isolates (U+2066-U+2069)
# and the marks (LRM, RLM, ALM) do that job, cannot leak, and stay.
_OVERRIDES = dict.fromkeys(range(0x202A, 0x202F))


def without_overrides(text: str) -> str:
    """``text`` without the explicit bidi embedding and override controls (U+202A-U+202E)."""
    return text.translate(_OVERRIDES)


def clean_body(text: str) -> str:
    """A message body as stored: trimmed, 1 to MAX_BODY characters, something visible in
    it, no NUL (Postgres text cannot hold it) nor other control characters. Plain text:
    nothing is escaped here, clients render text. Bidi overrides and embeddings are
    dropped (``without_overrides``); a body of nothing else is refused as blank."""
    body = without_overrides(text).strip()
    problem = None
    if not any(visible(char) for char in body):
        # Hangul fillers, the braille blank, a lone bidi control: a message that shows
        # nothing, yet marks the conversation unread and pushes a notification.
        problem = "must not be empty" if not body else "must show at least one letter, digit or sign"
    elif len(body) > MAX_BODY:
        problem = f"at most {MAX_BODY} characters"
    elif "\x00" in body:
        problem = "must not contain NUL characters"
    elif _CONTROL.search(body):
        problem = "must not contain control characters (other than line breaks and tabs)"
    if problem:
        raise AppError("validation", f"body {problem}", [{"field": "body", "message": problem}])
    return body


def _words(sender: uuid.UUID, text: str) -> tuple[uuid.UUID, str] | None:
    """A requester's own words as their first message, stored as a sent one would be
    (no bidi overrides); None when nothing is left."""
    words = without_overrides(text).strip()
    return (sender, words) if words else None


def pair(a: uuid.UUID, b: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    """Two participants in the order conversations store them (smaller id first)."""
    if a == b:
        raise AppError(
            "validation", "you cannot start a conversation with yourself", [{"field": "user_id", "message": "yourself"}]
        )
    return (a, b) if a < b else (b, a)


def contact_ok(kind: str, subject_status: str | None) -> bool:
    """Whether sharing an email or a number is expected here (no off-platform warning):
    the conversation's booking is accepted or done, or it is a mentorship."""
    return kind == "mentorship" or (kind == "booking" and subject_status in ("accepted", "confirmed", "completed"))


def block_error(blocked_by_me: bool, blocked_by_them: bool) -> AppError | None:
    """Why a message cannot go to the other participant, or None: a block either way
    stops new conversations and messages."""
    if blocked_by_them:
        return AppError("forbidden", "this user does not accept messages from you")
    if blocked_by_me:
        return AppError("forbidden", "you blocked this user; unblock them to write")
    return None


# The other participant deleted their account: nobody would ever read what is sent.
RECIPIENT_DELETED = AppError("conflict", "this user deleted their account; nobody can read new messages here")
# An operator suspended the other participant's account: they cannot log in to read it.
RECIPIENT_SUSPENDED = AppError(
    "conflict", "Wardmate suspended this account: for now nobody can read messages sent to it"
)


def retry_after(newest: datetime, over: datetime | None, window: timedelta = RATE_WINDOW) -> float | None:
    """Seconds until the sender may send again, or None when within the limit.

    ``newest``: the sender's newest message within the window (the one being sent
    counts); ``over``: their ``limit + 1``-th newest there, None when they sent no more
    than ``limit``. Over the limit, the new one is refused, and a slot frees when the
    oldest of the other ``limit`` (``over``) leaves the window.
    """
    if over is None:
        return None
    return max((over + window - newest).total_seconds(), 0.001)


def needs_resync(since: int, last_seq: int, first_seq: int | None, count: int, limit: int) -> bool:
    """Whether a replay after ``since`` cannot be complete: more than ``limit`` frames were
    missed, some were pruned (a gap after ``since``), or ``since`` is from another history."""
    if since > last_seq or count > limit:
        return True
    if first_seq is None:
        return last_seq > since
    return first_seq > since + 1


# --- what events say ------------------------------------------------------------------


@dataclass(frozen=True)
class NotificationDraft:
    user_id: uuid.UUID
    kind: NotificationKind
    text: str
    booking_id: uuid.UUID | None = None
    listing_id: uuid.UUID | None = None
    review_id: uuid.UUID | None = None
    mentorship_id: uuid.UUID | None = None
    letter_id: uuid.UUID | None = None
    rotation_id: uuid.UUID | None = None
    # The room's title a stay's notice is about: its mail's subject names it (a host with
    # three rooms read "New booking request" thrice, apart only inside).
    room: str | None = None


@dataclass(frozen=True)
class ConversationUpdate:
    """What one booking or mentorship event does in messaging: a system message in its
    conversation (unread for all but ``read_by``), the requester's own words when the
    event carries them (sender, text), and notifications."""

    system_text: str
    words: tuple[uuid.UUID, str] | None = None
    read_by: frozenset[uuid.UUID] = frozenset()
    notifications: list[NotificationDraft] = field(default_factory=list)
    # Who asked, when the event is a request (of a stay, of a mentorship): see ``withheld``.
    requester: uuid.UUID | None = None


def withheld(update: ConversationUpdate, pair: tuple[uuid.UUID, uuid.UUID]) -> ConversationUpdate:
    """A request between two users either of whom blocked the other, which listings or
    matching accepted before they heard of the block: only its system message, read by
    both (the request exists and can be declined), without the requester's words, a
    notification or, so, a mail. A block is meant to stop exactly those."""
    return replace(update, words=None, notifications=[], read_by=frozenset(pair))


# Notices of matching that are a person's request to the reader: withheld like ``withheld``.
REQUEST_NOTICES = frozenset({"letter_requested"})


def money(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def stay(check_in: date, check_out: date) -> str:
    nights = (check_out - check_in).days
    plural = "" if nights == 1 else "s"
    return f"{written(check_in)} to {written(check_out)} ({nights} night{plural})"


def _quoted(title: str | None) -> str:
    return f"“{title}”" if title else "the room"


BookingEvent = (
    BookingRequested
    | BookingAccepted
    | BookingConfirmed
    | BookingDeclined
    | BookingCancelled
    | BookingExpired
    | BookingCompleted
    | BookingShiftRequested
    | BookingShifted
    | BookingShiftDeclined
    | BookingShiftWithdrawn
    | BookingNightsFreed
    | BookingCheckInSoon
)


def booking_update(event: BookingEvent, names: dict[uuid.UUID, str | None], title: str | None) -> ConversationUpdate:
    """The system message and notifications of a booking event; ``names`` are the host's
    and guest's display names as messaging knows them (None: not yet)."""
    booking = event.booking
    host, guest = booking.host_id, booking.guest_id
    host_name, guest_name = names.get(host) or "The host", names.get(guest) or "A guest"
    room, dates = _quoted(title), stay(booking.check_in, booking.check_out)

    def note(user: uuid.UUID, kind: NotificationKind, text: str) -> NotificationDraft:
        return NotificationDraft(
            user, kind, text, booking_id=booking.booking_id, listing_id=booking.listing_id, room=title or None
        )

    if isinstance(event, BookingRequested):
        return ConversationUpdate(
            f"{guest_name} requested {room} from {dates}, {money(booking.total_cents)} in total."
            " The host can accept or decline the request under Bookings.",
            words=_words(guest, event.message),
            read_by=frozenset({guest}),
            notifications=[
                note(
                    host,
                    "booking_requested",
                    f"{guest_name} requested {room} from {dates}, {money(booking.total_cents)} in total",
                )
            ],
            requester=guest,
        )
    if isinstance(event, BookingAccepted):
        # The guest's notice comes with payments' ``PaymentDue`` (``accepted_notification``):
        # payments sets how much is due first and by when.
        return ConversationUpdate(
            f"{host_name} accepted the request. Pay through Wardmate to confirm it: Wardmate holds the"
            " payment until 24 hours after check-in, and the exact address shows once it is paid.",
            read_by=frozenset({host}),
        )
    if isinstance(event, BookingConfirmed):
        # What was paid: a stay paid in blocks has paid its first (it said the whole total).
        paid = booking.total_cents if event.paid_cents is None else event.paid_cents
        what = money(paid) if paid >= booking.total_cents else f"{money(paid)} of {money(booking.total_cents)}"
        later = " The rest is paid in later payments, each due before its nights." if paid < booking.total_cents else ""
        return ConversationUpdate(
            f"{guest_name} paid {what} through Wardmate: the stay is confirmed and the exact address is on the"
            f" booking. Wardmate holds the payment until 24 hours after check-in.{later}",
            read_by=frozenset({guest}),
            notifications=[
                note(
                    guest,
                    "booking_confirmed",
                    f"Paid {what}: your stay at {room}, {dates}, is confirmed. The exact address and the"
                    " check-in time are on the booking",
                ),
                note(host, "booking_confirmed", f"{guest_name} paid {what} for {room}, {dates}: the stay is confirmed"),
            ],
        )
    if isinstance(event, BookingDeclined) and booking.end_reason == "dates_taken":
        # Declined by listings, not the host: another guest's stay was accepted for some of
        # these nights (it read "Dr. Host declined the request", as if the host had chosen).
        return ConversationUpdate(
            "The request was declined: another guest's stay was accepted for some of these nights.",
            read_by=frozenset({host}),
            notifications=[
                note(
                    guest,
                    "booking_declined",
                    f"Your request for {room}, {dates}, is declined: another guest's stay was accepted for"
                    " some of those nights. Search again for another room.",
                )
            ],
        )
    if isinstance(event, BookingNightsFreed):
        # The stay that took these nights was cancelled, expired unpaid or moved away.
        return ConversationUpdate(
            "The nights of this request are free again: the stay that took them no longer holds them."
            " They can be asked for again from the room's page.",
            read_by=frozenset({host}),
            notifications=[
                note(
                    guest,
                    "booking_nights_freed",
                    f"Good news: the nights you asked for at {room}, {dates}, are free again."
                    " Ask the host again if you still need them.",
                )
            ],
        )
    if isinstance(event, BookingDeclined) and booking.end_reason == "dates_blocked":
        # Declined by blocking some of its nights (it read "declined your request" alone: the
        # guest could not tell the room was no longer free, or that other dates might be).
        return ConversationUpdate(
            f"{host_name} blocked some of these nights, which declined the request.",
            read_by=frozenset({host}),
            notifications=[
                note(
                    guest,
                    "booking_declined",
                    f"{host_name} made some of the nights you asked for at {room}, {dates}, unavailable, so your"
                    " request is declined. Ask for other dates, or look for another room",
                )
            ],
        )
    if isinstance(event, BookingDeclined):
        return ConversationUpdate(
            f"{host_name} declined the request.",
            read_by=frozenset({host}),
            notifications=[note(guest, "booking_declined", f"{host_name} declined your request for {room}, {dates}")],
        )
    if isinstance(event, BookingCancelled) and event.withdrawn:
        # A request withdrawn before the host answered read "… cancelled the booking".
        return ConversationUpdate(
            f"{guest_name} withdrew the request.",
            read_by=frozenset({guest}),
            notifications=[note(host, "booking_cancelled", f"{guest_name} withdrew their request for {room}, {dates}")],
        )
    if isinstance(event, BookingCancelled) and event.account_deleted:
        # It read "Deleted user cancelled the booking of …", as if someone of that name had.
        side, other = ("host", guest) if event.cancelled_by == host else ("guest", host)
        return ConversationUpdate(
            f"The {side} deleted their account, which cancelled the booking.",
            read_by=frozenset({event.cancelled_by}),
            notifications=[
                note(
                    other,
                    "booking_cancelled",
                    f"The {side} deleted their account, which cancelled the booking of {room}, {dates}",
                )
            ],
        )
    if isinstance(event, BookingCancelled):
        by_host = event.cancelled_by == host
        actor, other = (host_name, guest) if by_host else (guest_name, host)
        return ConversationUpdate(
            f"{actor} cancelled the booking.",
            read_by=frozenset({event.cancelled_by}),
            notifications=[note(other, "booking_cancelled", f"{actor} cancelled the booking of {room}, {dates}")],
        )
    if isinstance(event, BookingCheckInSoon):
        # The day before: when, on the room's clock, and where to look (a guest heard nothing
        # between the payment and the day they had to find the room, weeks later).
        when = timezones.local(event.check_in_at, booking.time_zone or "UTC")
        return ConversationUpdate(
            f"Check-in is soon: from {when}. The exact address is on the booking; write here to agree how to get in.",
            notifications=[
                note(
                    guest,
                    "check_in_soon",
                    f"Your stay at {room} starts soon: check-in from {when}. The exact address is on the booking;"
                    f" write to {host_name} there about how you will get in",
                ),
                note(host, "check_in_soon", f"{guest_name} checks in at {room} from {when}"),
            ],
        )
    if isinstance(event, BookingShiftRequested):
        moved = stay(event.check_in, event.check_out)
        why = f"{guest_name}'s rotation moved: they ask" if event.for_rotation else f"{guest_name} asks"
        price = f", {money(event.total_cents)} in total" if event.total_cents is not None else ""
        # The host's notice and mail give what the stay comes to (and came to), and what a
        # decline means when the guest's rotation moved: they said dates alone.
        total = ""
        if event.total_cents is not None:
            total = f", {money(event.total_cents)} in total (now {money(booking.total_cents)})"
        if event.for_rotation:
            total += ": their rotation moved, so if you decline they may cancel with everything paid refunded"
        return ConversationUpdate(
            f"{why} to move the stay to {moved}{price}. The host can accept or decline it under Bookings.",
            read_by=frozenset({guest}),
            notifications=[
                note(host, "booking_shift_requested", f"{guest_name} asks to move {room} to {moved}{total}")
            ],
        )
    if isinstance(event, BookingShifted):
        total = f"{money(booking.total_cents)} in total"
        return ConversationUpdate(
            f"{host_name} accepted the new dates: {dates}, {total}.",
            read_by=frozenset({host}),
            notifications=[
                note(
                    guest,
                    "booking_shifted",
                    f"{host_name} moved your stay at {room} to {dates}, {total}. The receipt shows what is paid"
                    " and what is due or refunded",
                )
            ],
        )
    if isinstance(event, BookingShiftDeclined):
        asked = stay(event.check_in, event.check_out)
        if event.for_rotation:  # rotation protection: a cancellation now refunds everything
            text, notice = "The guest may cancel without fault.", ": you may cancel without fault"
        else:
            text, notice = "The stay keeps its dates.", ""
        return ConversationUpdate(
            f"{host_name} cannot move the stay to {asked}. {text}",
            read_by=frozenset({host}),
            notifications=[note(guest, "booking_shift_declined", f"{host_name} cannot move {room} to {asked}{notice}")],
        )
    if isinstance(event, BookingShiftWithdrawn):
        asked = stay(event.check_in, event.check_out)
        return ConversationUpdate(
            f"{guest_name} withdrew the request to move the stay to {asked}. The stay keeps its dates.",
            read_by=frozenset({guest}),
            notifications=[
                note(host, "booking_shift_withdrawn", f"{guest_name} no longer asks to move {room} to {asked}")
            ],
        )
    if isinstance(event, BookingExpired) and booking.end_reason == "unpaid":
        return ConversationUpdate(
            "The stay was not paid in time: the booking expired and the dates are free again.",
            notifications=[
                note(guest, "booking_expired", f"Unpaid in time: your stay at {room}, {dates}, expired"),
                note(host, "booking_expired", f"{guest_name} did not pay for {room}, {dates}: the dates are free"),
            ],
        )
    if isinstance(event, BookingExpired):
        return ConversationUpdate(
            "The request expired without an answer; the dates are free again.",
            notifications=[note(guest, "booking_expired", f"Your request for {room}, {dates}, expired unanswered")],
        )
    if isinstance(event, BookingCompleted):
        return ConversationUpdate(
            "The stay is over. Each of you can now review the other once.",
            notifications=[
                note(host, "review_invitation", f"{guest_name}'s stay at {room} is over: review your guest"),
                note(guest, "review_invitation", f"Your stay at {room} is over: review {host_name}"),
            ],
        )
    raise AssertionError(f"not a booking event: {event.subject}")


def payment_notification(event: PaymentFailed | PaymentRefunded | PaymentReleased) -> NotificationDraft:
    """The guest hears of a refused card or a refund; the host of money released to them.
    An overdue payment (``PaymentOverdue``, or an old ``PaymentFailed`` of kind ``overdue``)
    concerns both: ``overdue_update``."""
    payment = event.payment
    room = _quoted(payment.listing_title)

    def note(user: uuid.UUID, kind: NotificationKind, text: str) -> NotificationDraft:
        return NotificationDraft(user, kind, text, booking_id=payment.booking_id, room=payment.listing_title or None)

    if isinstance(event, PaymentFailed):
        if event.kind == "overdue":
            raise AssertionError("an overdue payment concerns both sides: overdue_update")
        # The bank's words are a sentence of their own ("Your card was declined."): after a
        # colon they read "...did not go through: Your card was declined".
        reason = event.reason.strip().rstrip(".")
        retry = "Try another card"
        if event.pay_by is not None:
            retry += f" by {timezones.local(event.pay_by, event.time_zone or 'UTC')}"
        return note(
            payment.guest_id,
            "payment_failed",
            f"Your payment for {room} did not go through (the bank said: {reason}). {retry}.",
        )
    if isinstance(event, PaymentRefunded):
        # A cancellation's refund says the stay is cancelled: the guest who cancelled gets
        # no notice of the cancellation, and its mail spoke of the refund alone.
        what = f"Your stay at {room} is cancelled: " if event.refund_kind == "cancellation" else ""
        return note(
            payment.guest_id,
            "payment_refunded",
            f"{what}{money(event.refund_cents)} is being refunded to your card"
            f"{'' if what else f' for {room}'} ({event.reason}). It can take 5–10 business days to show",
        )
    return note(
        payment.host_id,
        "payment_released",
        f"{money(event.released_cents)} released to your balance for {room} (host fee {money(event.fee_cents)})",
    )


def reclaimed_notification(event: PaymentRefunded) -> NotificationDraft | None:
    """The host hears when a refund takes back money already released to their balance
    (a guest's cancellation during the stay, an operator's refund, shorter dates): their
    balance went down, and they were told only of the release. An operator's refund of
    money still held reaches them too: it lowers what will be released to them, and they
    learned of a goodwill refund only from a smaller payout (the refunds of a cancellation
    or of new dates follow what they were told of those)."""
    payment = event.payment
    room = _quoted(payment.listing_title)
    if event.host_cents > 0:
        text = (
            f"{money(event.host_cents)} taken back from your balance for {room}: the guest"
            f" was refunded {money(event.refund_cents)} ({event.reason})"
        )
    elif event.refund_kind == "operator":
        text = (
            f"Wardmate refunded the guest {money(event.refund_cents)} of their payment for {room} ({event.reason})."
            " It comes out of the payment held for this stay, so it will not be released to your balance"
        )
    else:
        return None
    return NotificationDraft(
        payment.host_id,
        "payment_reclaimed",
        text,
        booking_id=payment.booking_id,
        room=payment.listing_title or None,
    )


def accepted_notification(event: PaymentDue, names: dict[uuid.UUID, str | None]) -> NotificationDraft:
    """The guest hears that the host accepted, with what to pay and by when: unpaid by the
    deadline, the booking expires (the mail of the acceptance said neither)."""
    payment = event.payment
    host_name = names.get(payment.host_id) or "The host"
    first = money(payment.amount_cents)
    what = first if event.payments == 1 else f"the first of {event.payments} payments, {first},"
    deadline = timezones.local(event.pay_by, event.time_zone)
    room, dates = _quoted(payment.listing_title), stay(event.check_in, event.check_out)
    return NotificationDraft(
        payment.guest_id,
        "booking_accepted",
        f"{host_name} accepted your request for {room}, {dates}."
        f" Pay {what} by {deadline} to confirm the stay: unpaid by then, the booking expires.",
        booking_id=payment.booking_id,
        room=payment.listing_title or None,
    )


def due_soon_notification(event: PaymentDueSoon) -> NotificationDraft:
    """The guest, near a payment's deadline with it unpaid: how much, for which room and
    nights, by when on the room's clock, and what happens if not (a first payment's booking
    expires; a later one is overdue, and the host may cancel)."""
    payment = event.payment
    what = money(payment.amount_cents)
    if payment.block > 0 and payment.start_date is not None and payment.nights:
        plural = "" if payment.nights == 1 else "s"
        what += f" for the {payment.nights} night{plural} from {written(payment.start_date)}"
    deadline = timezones.local(event.pay_by, event.time_zone)
    then = (
        "unpaid by then, the booking expires and its dates go back to the host"
        if payment.block == 0
        else "unpaid by then, it is overdue and the host may cancel the rest of the stay"
    )
    return NotificationDraft(
        payment.guest_id,
        "payment_due_soon",
        f"Reminder: pay {what} for {_quoted(payment.listing_title)} by {deadline}: {then}.",
        booking_id=payment.booking_id,
        room=payment.listing_title or None,
    )


def overdue_update(event: PaymentOverdue, names: dict[uuid.UUID, str | None]) -> ConversationUpdate:
    """A later payment of a confirmed stay past its deadline unpaid: not a refused card, and
    not the end of the stay. The booking's conversation says so to both; the guest is told
    to pay it now, the host that it is unpaid (whether to cancel is theirs to decide)."""
    payment = event.payment
    host, guest = payment.host_id, payment.guest_id
    guest_name = names.get(guest) or "The guest"
    room = _quoted(payment.listing_title)
    what = money(payment.amount_cents)
    if payment.start_date is not None and payment.nights:
        plural = "" if payment.nights == 1 else "s"
        what += f" for the {payment.nights} night{plural} from {written(payment.start_date)}"
    due = ""
    if event.pay_by is not None:
        # On the room's clock, where the deadline was set (its check-in time there); UTC
        # for an event from before it carried the zone.
        due = f" by {timezones.local(event.pay_by, event.time_zone or 'UTC')}"
    late = f"was due{due} and is still unpaid"

    def note(user: uuid.UUID, text: str) -> NotificationDraft:
        return NotificationDraft(
            user, "payment_overdue", text, booking_id=payment.booking_id, room=payment.listing_title or None
        )

    return ConversationUpdate(
        f"{guest_name}'s payment of {what} {late}. The stay is not ended: the payment can still be made"
        " from the booking's receipt. If it stays unpaid, the host may cancel the stay.",
        notifications=[
            note(guest, f"Your payment of {what} at {room} {late}. Your stay is not ended: pay it now."),
            note(host, f"{guest_name}'s payment of {what} at {room} {late}. The stay goes on unless you cancel it."),
        ],
    )


def review_notification(review: ReviewData, author_name: str | None) -> NotificationDraft:
    """The reviewed user hears of a review about them."""
    who = author_name or ("Your guest" if review.author_role == "guest" else "Your host")
    return NotificationDraft(
        review.subject_id,
        "review_posted",
        f"{who} reviewed you: {review.rating} out of 5",
        booking_id=review.booking_id,
        listing_id=review.listing_id,
        review_id=review.review_id,
    )


def mentoring_notification(event: MentoringNotice) -> NotificationDraft:
    """Matching words its mentoring notices itself; an unknown kind (a newer matching)
    still reaches its reader as a plan notice. A letter's notice carries its request: the
    reader opens that letter; but a withdrawal, which leaves the writer nothing to do there,
    and whose request is erased when the student deleted their account (its page would say
    "not found")."""
    kind = event.kind if event.kind in get_args(NotificationKind) else "meeting_reminder"
    return NotificationDraft(
        event.user_id,
        cast(NotificationKind, kind),
        event.text,
        mentorship_id=event.mentorship_id,
        letter_id=event.letter_id if kind != "letter_withdrawn" else None,
    )


def verified_notification(user: UserData) -> NotificationDraft:
    """The badge, in words for the user's role: a student has no credentials or listings."""
    if user.role == "student":
        text = "You are a verified student: hosts and mentors now see the badge on your profile and your requests"
    else:
        text = "Your credentials are verified: the badge now shows on your profile and listings"
    return NotificationDraft(user.user_id, "user_verified", text)


DOCUMENT_NAMES = {
    "enrolment": "proof of enrolment",
    "rotation_acceptance": "rotation acceptance letter",
    "licence": "licence scan",
}


def document_rejected_notification(event: DocumentRejected) -> NotificationDraft:
    """Why a document was rejected (the operator's note, which a rejection must carry), and
    how to send another. Events from before a note was required may have none: those read
    without the quote."""
    what = DOCUMENT_NAMES.get(event.kind, "document")
    note = " ".join(event.note.split())
    why = f": {_said(note)}" if note else "."
    return NotificationDraft(
        event.user_id,
        "document_rejected",
        f"An operator could not verify your {what}{why} Send a new one under Verification documents on your profile.",
    )


def _said(words: str) -> str:
    """Someone's words in quotes, ending the sentence: “Unreadable.” or “Unreadable”. (a
    full stop after the quote unless the words end a sentence themselves)."""
    return f"“{words}”" if words.endswith((".", "!", "?")) else f"“{words}”."


CREDENTIAL_NAMES = {"npi": "NPI", "license": "medical licence"}


def credential_rejected_notification(event: CredentialRejected) -> NotificationDraft:
    """Why an operator rejected a professional's NPI or licence (the reason, which a
    rejection requires), and how to submit again."""
    what = CREDENTIAL_NAMES.get(event.kind, "credential")
    reason = " ".join(event.reason.split())
    return NotificationDraft(
        event.user_id,
        "credential_rejected",
        f"An operator could not verify your {what}: {_said(reason)} Correct it and submit it again under"
        " Verification on your profile.",
    )


# Direct conversations whose other side hears that Wardmate suspended an account (or
# lifted it): those active this recently. Stays and mentorships under way always do.
RECENT_CONVERSATION = timedelta(days=30)
# A stay or mentorship under way, by its conversation's kind: the statuses in which that
# conversation hears of a suspension of either side.
UNDER_WAY: dict[str, frozenset[str]] = {
    "booking": frozenset({"requested", "accepted", "confirmed"}),
    "mentorship": frozenset({"requested", "accepted"}),
}


# An open report's details, with what its reporter added later (each addition at most 2,000).
MAX_REPORT_DETAILS = 10_000


def report_details(details: str, reason: str, added: str, added_reason: str) -> str:
    """An open report's details once its reporter reports the same again: what they wrote
    now, as its own paragraph, with its reason when it is another (it was dropped, and the
    page said "sent"). Nothing written, or the same words again (a second press, a retry),
    adds nothing. The whole stays within ``MAX_REPORT_DETAILS``: an addition that does not
    fit is refused whole, saying so (it was cut to fit, then dropped, and the reply said
    "nothing new was added" of words never seen before)."""
    added = added.strip()
    if not added or added in details:
        return details
    why = "" if added_reason == reason else f"as {added_reason}"
    if not details:
        return f"{why.capitalize()}: {added}" if why else added
    combined = f"{details}\n\nAdded later{', ' + why if why else ''}: {added}"
    if len(combined) > MAX_REPORT_DETAILS:
        room = max(0, MAX_REPORT_DETAILS - len(combined) + len(added))  # less the paragraph's heading
        raise AppError(
            "conflict",
            f"your open report is nearly full ({MAX_REPORT_DETAILS:,} characters at most): what you wrote now was"
            f" not added. The operators have what it holds; add at most {room:,} characters, or wait for their"
            " answer and report again",
            {"room": room},
        )
    return combined


# How much of a reported message its report's answer quotes, so the reporter knows which.
REPORT_QUOTE = 60


def report_resolved_notification(
    reporter_id: uuid.UUID,
    reported_name: str | None,
    message_body: str | None,
    conversation_id: uuid.UUID | None,
    *,
    support_email: str,
) -> NotificationDraft:
    """The reporter hears that the operators looked into their report and closed it (they
    heard nothing, while the refusal to add to a full report told them to "wait for their
    answer"). Which report: the person and, of a message, its first words. Not what the
    operator wrote: that note is for the operators' queue, and may name the other side's
    account. A message's report opens its conversation (``conversation_id``)."""
    who = reported_name or "another user"
    if conversation_id is not None:
        about = f"{who}'s message"
        if message_body:
            words = " ".join(message_body.split())
            cut = words if len(words) <= REPORT_QUOTE else words[: REPORT_QUOTE - 1].rstrip() + "…"
            about += f" “{cut}”"
    else:
        about = who
    return NotificationDraft(
        reporter_id,
        "report_resolved",
        f"Wardmate looked into your report about {about} and closed it. Thank you for telling us."
        f" If something else happens, report it again; questions: write to {support_email}.",
    )


# Which conversation's words a person's one notice of a suspension carries: a stay's
# (what becomes of it and the money), then a mentorship's, then a direct conversation's.
SUSPENSION_NOTICE_RANK = {"booking": 0, "mentorship": 1, "direct": 2}


def suspension_update(
    kind: str,
    user_id: uuid.UUID,
    name: str | None,
    other_id: uuid.UUID,
    title: str | None,
    *,
    suspended: bool,
    support_email: str,
    booking_id: uuid.UUID | None = None,
    listing_id: uuid.UUID | None = None,
) -> ConversationUpdate:
    """What the other side of a conversation with ``user_id`` reads when Wardmate suspends
    that account (``suspended``) or lifts its suspension: a system message there and a
    notice (always mailed). The suspended side's copy is read: they cannot sign in."""
    if kind == "booking":
        about = f" (the stay at “{title}”)" if title else " (the stay)"
    elif kind == "mentorship":
        about = " (the mentorship)"
    else:
        about = ""
    whose = f"the account of {name or 'this user'}{about}"
    if suspended:
        text = (
            f"Wardmate suspended {whose}. For now they cannot sign in or read messages here. Never pay them or"
            f" send them documents outside Wardmate. Questions: write to {support_email}."
        )
        if kind == "booking":
            # A paid guest asked what becomes of the stay and the money held.
            text += " The stay is not cancelled: its card under Bookings says what you can do."
        notice: NotificationKind = "account_suspended"
    else:
        text = f"Wardmate lifted the suspension of {whose}: they can sign in and read messages here again."
        notice = "suspension_lifted"
    return ConversationUpdate(
        text,
        read_by=frozenset({user_id}),
        notifications=[NotificationDraft(other_id, notice, text, booking_id=booking_id, listing_id=listing_id)],
    )


MentorshipEvent = MentorshipRequested | MentorshipAccepted | MentorshipDeclined | MentorshipEnded


def mentorship_update(event: MentorshipEvent, names: dict[uuid.UUID, str | None]) -> ConversationUpdate:
    """The system message and notifications of a mentorship event (matching's)."""
    m = event.mentorship
    student, mentor = m.student_id, m.mentor_id
    student_name, mentor_name = names.get(student) or "A student", names.get(mentor) or "The mentor"
    if isinstance(event, MentorshipRequested):
        return ConversationUpdate(
            f"{student_name} asked {mentor_name} to be their mentor."
            " The mentor can accept or decline under Mentorships.",
            words=_words(student, m.message),
            read_by=frozenset({student}),
            notifications=[
                NotificationDraft(mentor, "mentorship_requested", f"{student_name} asked you to be their mentor")
            ],
            requester=student,
        )
    if isinstance(event, MentorshipAccepted):
        return ConversationUpdate(
            f"{mentor_name} accepted: you are now mentor and mentee.",
            read_by=frozenset({mentor}),
            notifications=[
                NotificationDraft(
                    student,
                    "mentorship_accepted",
                    f"{mentor_name} agreed to be your mentor",
                    mentorship_id=m.mentorship_id,
                )
            ],
        )
    if isinstance(event, MentorshipDeclined):
        return ConversationUpdate(
            f"{mentor_name} declined the request.",
            read_by=frozenset({mentor}),
            notifications=[
                NotificationDraft(student, "mentorship_declined", f"{mentor_name} declined your mentorship request")
            ],
        )
    if isinstance(event, MentorshipEnded) and event.withdrawn:
        # It read "ended the mentorship" (and "ended your mentorship") of a request the
        # mentor had not answered.
        return ConversationUpdate(
            f"{student_name} withdrew the request.",
            read_by=frozenset({student}),
            notifications=[
                NotificationDraft(mentor, "mentorship_ended", f"{student_name} withdrew their mentorship request")
            ],
        )
    if isinstance(event, MentorshipEnded) and event.account_deleted:
        side, other = ("mentor", student) if event.ended_by == mentor else ("student", mentor)
        return ConversationUpdate(
            f"The {side} deleted their account, which ended the mentorship.",
            read_by=frozenset({event.ended_by}),
            notifications=[
                NotificationDraft(
                    other, "mentorship_ended", f"Your {side} deleted their account, which ended your mentorship"
                )
            ],
        )
    if isinstance(event, MentorshipEnded):
        by_mentor = event.ended_by == mentor
        actor, other = (mentor_name, student) if by_mentor else (student_name, mentor)
        return ConversationUpdate(
            f"{actor} ended the mentorship.",
            read_by=frozenset({event.ended_by}),
            notifications=[NotificationDraft(other, "mentorship_ended", f"{actor} ended your mentorship")],
        )
    raise AssertionError(f"not a mentorship event: {event.subject}")


def rotation_moved_notification(event: RotationMoved) -> NotificationDraft:
    """The student moved a rotation: the stays booked or requested for it on other dates,
    and what to do of each (one notification per event; the first stay is linked): ask the
    host to shift a booked stay; a request cannot be shifted (it read "is booked" too, and
    its link led to no form), so withdraw it and ask for the new dates."""
    nights = (event.end_date - event.start_date).days
    rotation = f"{written(event.start_date)} to {written(event.end_date)}"
    asked = [s for s in event.stays if s.status == "requested"]
    said = "; ".join(
        f"you asked for {_quoted(s.listing_title)} {stay(s.check_in, s.check_out)}"
        if s.status == "requested"
        else f"{_quoted(s.listing_title)} is booked {stay(s.check_in, s.check_out)}"
        for s in event.stays
    )
    todo = []
    if len(asked) < len(event.stays):
        todo.append("Ask the host to move your stay to the new dates.")
    if asked:
        todo.append("Withdraw the request and ask for the new dates instead.")
    first = event.stays[0]
    return NotificationDraft(
        event.student_id,
        "rotation_moved",
        f"Your rotation now runs {rotation} ({nights} nights): {said}. {' '.join(todo)}",
        booking_id=first.booking_id,
        listing_id=first.listing_id,
    )


def _rotation(event: MatchSuggested) -> str | None:
    """ "your cardiology rotation (Jan 5 – Feb 1, 2027)"; None for an event that does not
    name it (from before it did)."""
    specialty = (event.specialty or "").strip()
    if event.start_date is None or event.end_date is None:
        return f"your {specialty} rotation" if specialty else None
    start, end = event.start_date, event.end_date
    first = f"{start:%b} {start.day}" if start.year == end.year else written(start)
    return f"your {specialty + ' ' if specialty else ''}rotation ({first} – {written(end)})"


def suggestion_notification(event: MatchSuggested) -> NotificationDraft:
    """The student hears of a room or a mentor that fits an upcoming rotation well, named by
    its specialty and dates when the event carries them (two rotations at one hospital read
    alike without); the room's notice opens the room, the mentor's the rotation's matches."""
    why = f": {event.reasons[0]}" if event.reasons else ""
    rotation = _rotation(event)
    if event.kind == "room":
        # Its distance and how many of the rotation's nights are free: "A room fits …" was
        # said of a room free for 10 of 28 nights, which only the rotation's page told.
        room_why = f": {', '.join(event.reasons[:2])}" if event.reasons else ""
        text = f"A room for {rotation or 'your rotation'}, {_quoted(event.headline)}{room_why}"
        return NotificationDraft(
            event.student_id, "match_suggested", text, listing_id=event.subject_id, rotation_id=event.rotation_id
        )
    named = f" for {rotation}" if rotation else ""
    return NotificationDraft(
        event.student_id,
        "match_suggested",
        f"{event.headline} could mentor you{named}{why}",
        rotation_id=event.rotation_id,
    )
