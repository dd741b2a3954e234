"""Pure rules of messaging: bodies, the send rate, replay resync, what booking events say."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from services.messaging import domain
from shared.contracts.listings import (
    BookingAccepted,
    BookingCancelled,
    BookingCheckInSoon,
    BookingCompleted,
    BookingData,
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
    MentorshipData,
    MentorshipDeclined,
    MentorshipEnded,
    MentorshipRequested,
)
from shared.errors import AppError

HOST, GUEST = uuid.uuid4(), uuid.uuid4()


def test_bodies_are_trimmed_and_bounded() -> None:
    """Bodies are stored trimmed, 1 to 4,000 characters, as plain text (never escaped)."""
    assert domain.clean_body("  <b>hi</b>\n") == "<b>hi</b>"
    assert domain.clean_body("x" * 4000 + "   ") == "x" * 4000
    for bad in ("   \n\t", "x" * 4001, "a\x00b"):
        with pytest.raises(AppError) as err:
            domain.clean_body(bad)
        assert err.value.code == "validation"


def test_a_body_that_shows_nothing_or_holds_controls_is_refused() -> None:
    """A body of blank letters (Hangul filler, braille blank) or a lone bidi control shows
    nothing yet would mark the conversation unread, and a bell or escape is no text: each
    is refused; a message in any script, emoji, line breaks and tabs pass."""
    for bad in ("\u3164", "\u2800\u2800", "\u202e", " \u115f\u1160 ", "hi\x07", "\x1b[31mred"):
        with pytest.raises(AppError) as err:
            domain.clean_body(bad)
        assert err.value.code == "validation", repr(bad)
    for good in ("\u0645\u0631\u062d\u0628\u0627", "\U0001f600", "line one\n\tline two", "\u3164hi", "?"):
        assert domain.clean_body(good) == good.strip()


def test_bidi_overrides_are_dropped_but_isolates_and_marks_stay() -> None:
    """An override (U+202A-U+202E) inside a body is removed, so "invoice_<RLO>txt.exe" is
    stored as it reads; the isolates and marks RTL writers use stay; a request's own words
    lose them too; a body of overrides and spaces alone is still blank."""
    assert domain.clean_body("invoice_\u202etxt.exe") == "invoice_txt.exe"
    assert domain.clean_body("a\u202ab\u202bc\u202cd\u202de") == "abcde"
    kept = "\u05e9\u05dc\u05d5\u05dd \u2067abc\u2069 \u200f\u200e\u061c\u2066x\u2068y\u2069\u2069"
    assert domain.clean_body(kept) == kept
    with pytest.raises(AppError):
        domain.clean_body(" \u202e \u202c ")
    update = domain.booking_update(BookingRequested(booking=booking(), message=" pay\u202e "), {}, "Room")
    assert update.words == (GUEST, "pay")
    alone = domain.booking_update(BookingRequested(booking=booking(), message="\u202e"), {}, "Room")
    assert alone.words is None


def test_pairs_are_ordered_and_never_with_oneself() -> None:
    """A direct conversation's pair is the same whoever starts it; not with yourself."""
    assert domain.pair(HOST, GUEST) == domain.pair(GUEST, HOST)
    with pytest.raises(AppError):
        domain.pair(HOST, HOST)


def test_send_rate_counts_the_window_and_says_when_to_retry() -> None:
    """Within the limit: no wait. Over it: wait until the oldest of the last ``limit``
    messages leaves the minute."""
    now = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    # Three sent (now, -2 s, -4 s) with a limit of 3: no fourth newest, no wait.
    assert domain.retry_after(now, None) is None
    # A fourth newest 50 s ago: its slot frees in 10 s.
    assert domain.retry_after(now, now - timedelta(seconds=50)) == pytest.approx(10.0)
    # Its slot frees this instant: the shortest wait, never zero.
    assert domain.retry_after(now, now - timedelta(seconds=60)) == pytest.approx(0.001)


@pytest.mark.parametrize(
    ("since", "last_seq", "first_seq", "count", "resync"),
    [
        (0, 0, None, 0, False),  # nothing ever pushed
        (5, 5, None, 0, False),  # up to date
        (5, 8, 6, 3, False),  # three missed, all kept
        (5, 8, 7, 2, True),  # seq 6 was pruned
        (5, 8, None, 0, True),  # everything after 5 was pruned
        (0, 600, 1, 501, True),  # more than the limit (500) missed
        (9, 8, None, 0, True),  # a seq from another history (e.g. a restored database)
    ],
)
def test_replay_resyncs_only_when_it_cannot_be_complete(
    since: int, last_seq: int, first_seq: int | None, count: int, resync: bool
) -> None:
    """A replay is complete unless frames were pruned, too many were missed, or the
    client's seq is ahead of the server's."""
    assert domain.needs_resync(since, last_seq, first_seq, count, limit=500) is resync


def booking(status: str = "requested") -> BookingData:
    return BookingData(
        booking_id=uuid.uuid4(),
        version=1,
        listing_id=uuid.uuid4(),
        guest_id=GUEST,
        host_id=HOST,
        check_in=date(2027, 3, 1),
        check_out=date(2027, 3, 29),
        status=status,
        total_cents=100_800,
    )


NAMES = {HOST: "Dr. Host", GUEST: "Chidi"}


def test_a_request_tells_the_host_and_carries_the_guests_words() -> None:
    """The request: a system message (read by the guest who sent it), the guest's words,
    and a notification to the host naming room, dates and total."""
    update = domain.booking_update(BookingRequested(booking=booking(), message=" Hi! "), NAMES, "Quiet room")
    assert "Chidi requested “Quiet room” from Mar 1, 2027 to Mar 29, 2027 (28 nights)" in update.system_text
    assert "$1,008.00" in update.system_text
    assert update.words == (GUEST, "Hi!") and update.read_by == {GUEST}
    [note] = update.notifications
    assert note.user_id == HOST and note.kind == "booking_requested"
    assert note.text.endswith("(28 nights), $1,008.00 in total"), note.text  # the mail gave no amount


def test_a_request_declined_because_another_stay_took_its_nights_does_not_blame_the_host() -> None:
    """Listings declines the waiting requests for nights a stay just accepted holds: the
    guest reads that another guest booked them, not that the host declined them."""
    taken = booking("declined").model_copy(update={"end_reason": "dates_taken"})
    update = domain.booking_update(BookingDeclined(booking=taken), NAMES, "Quiet room")
    assert "Dr. Host" not in update.system_text and "another guest" in update.system_text
    [note] = update.notifications
    assert (note.user_id, note.kind) == (GUEST, "booking_declined")
    assert note.text == (
        "Your request for “Quiet room”, Mar 1, 2027 to Mar 29, 2027 (28 nights), is declined: another guest's"
        " stay was accepted for some of those nights. Search again for another room."
    )
    chosen = domain.booking_update(BookingDeclined(booking=booking("declined")), NAMES, "Quiet room")
    assert chosen.system_text == "Dr. Host declined the request."


def test_nights_free_again_reach_the_guest_turned_down_with_the_room_and_dates() -> None:
    """The stay that took a declined request's nights no longer holds them: its guest is
    told, naming the room and the dates; the host reads it in the conversation."""
    taken = booking("declined").model_copy(update={"end_reason": "dates_taken"})
    update = domain.booking_update(BookingNightsFreed(booking=taken), NAMES, "Quiet room")
    assert update.system_text.startswith("The nights of this request are free again")
    assert update.read_by == frozenset({HOST})
    [note] = update.notifications
    assert (note.user_id, note.kind, note.listing_id) == (GUEST, "booking_nights_freed", taken.listing_id)
    assert note.text == (
        "Good news: the nights you asked for at “Quiet room”, Mar 1, 2027 to Mar 29, 2027 (28 nights), are free"
        " again. Ask the host again if you still need them."
    )


def test_a_request_between_a_blocked_pair_keeps_only_its_system_message() -> None:
    """Requests name their requester; withheld (a block either way), a request keeps its
    system message, read by both, without the words or a notification. Decisions are no
    request: they always reach the other side."""
    update = domain.booking_update(BookingRequested(booking=booking(), message="Answer me!"), NAMES, "Quiet room")
    assert update.requester == GUEST
    held = domain.withheld(update, (HOST, GUEST))
    assert held.system_text == update.system_text
    assert held.words is None and held.notifications == [] and held.read_by == {HOST, GUEST}
    by_guest = domain.booking_update(BookingCancelled(booking=booking("cancelled"), cancelled_by=GUEST), NAMES, "R")
    assert by_guest.requester is None
    assert "letter_requested" in domain.REQUEST_NOTICES and "letter_accepted" not in domain.REQUEST_NOTICES


def test_each_decision_notifies_the_other_party() -> None:
    """Accepted and expired reach the guest; a cancellation the side that did not cancel;
    a completed stay invites both to review. Unknown names and titles read naturally."""
    # The acceptance's notice comes with payments' deadline (``accepted_notification``).
    accepted = domain.booking_update(BookingAccepted(booking=booking("accepted")), NAMES, None)
    assert accepted.notifications == [] and accepted.read_by == {HOST}
    by_guest = domain.booking_update(BookingCancelled(booking=booking("cancelled"), cancelled_by=GUEST), NAMES, "R")
    assert [n.user_id for n in by_guest.notifications] == [HOST] and by_guest.read_by == {GUEST}
    by_host = domain.booking_update(BookingCancelled(booking=booking("cancelled"), cancelled_by=HOST), {}, "R")
    assert [n.user_id for n in by_host.notifications] == [GUEST]
    assert by_host.system_text == "The host cancelled the booking."
    # A request withdrawn before the host answered read "… cancelled the booking" too.
    withdrawn = domain.booking_update(
        BookingCancelled(booking=booking("cancelled"), cancelled_by=GUEST, withdrawn=True), NAMES, "R"
    )
    assert withdrawn.system_text.endswith("withdrew the request.")
    assert [(n.user_id, n.kind) for n in withdrawn.notifications] == [(HOST, "booking_cancelled")]
    assert "withdrew their request for" in withdrawn.notifications[0].text
    expired = domain.booking_update(BookingExpired(booking=booking("expired")), NAMES, "R")
    assert [n.user_id for n in expired.notifications] == [GUEST]
    completed = domain.booking_update(BookingCompleted(booking=booking("completed")), NAMES, "R")
    assert {(n.user_id, n.kind) for n in completed.notifications} == {
        (HOST, "review_invitation"),
        (GUEST, "review_invitation"),
    }


def test_only_a_moved_rotations_dates_promise_a_cancellation_without_fault() -> None:
    """A request for other dates is just a request, and its decline keeps the stay as it was;
    the moved rotation's dates say so, and their decline lets the guest cancel without fault
    (the conversation once said both for every request)."""
    dates = {"check_in": date(2027, 3, 8), "check_out": date(2027, 4, 5)}
    for for_rotation in (False, True):
        asked = domain.booking_update(
            BookingShiftRequested(
                booking=booking("confirmed"), total_cents=100_800, for_rotation=for_rotation, **dates
            ),
            NAMES,
            "R",
        )
        assert ("rotation moved" in asked.system_text) is for_rotation and "$1,008.00" in asked.system_text
        # The host's notice gives the new total beside the one now, and what a decline means.
        [ask] = asked.notifications
        assert ask.user_id == HOST and ", $1,008.00 in total (now $1,008.00)" in ask.text, ask.text
        assert ("if you decline they may cancel with everything paid refunded" in ask.text) is for_rotation
        declined = domain.booking_update(
            BookingShiftDeclined(booking=booking("confirmed"), for_rotation=for_rotation, **dates), NAMES, "R"
        )
        assert ("without fault" in declined.system_text) is for_rotation
        [note] = declined.notifications
        assert note.user_id == GUEST and ("without fault" in note.text) is for_rotation
    # Accepted: the guest's notice gives the total at the new dates and where the money is.
    moved = domain.booking_update(BookingShifted(booking=booking("confirmed")), NAMES, "R")
    [told] = moved.notifications
    assert told.user_id == GUEST and ", $1,008.00 in total. The receipt shows what is paid" in told.text, told.text
    # Withdrawn before the host answered: the host hears it, the stay keeps its dates.
    withdrawn = domain.booking_update(BookingShiftWithdrawn(booking=booking("confirmed"), **dates), NAMES, "R")
    assert "withdrew" in withdrawn.system_text and withdrawn.read_by == {GUEST}
    assert [(n.user_id, n.kind) for n in withdrawn.notifications] == [(HOST, "booking_shift_withdrawn")]


def test_a_review_notifies_the_reviewed() -> None:
    review = ReviewData(
        review_id=uuid.uuid4(),
        booking_id=uuid.uuid4(),
        listing_id=uuid.uuid4(),
        author_id=GUEST,
        subject_id=HOST,
        author_role="guest",
        rating=5,
        text="Great",
        stay_month="2027-03",
    )
    note = domain.review_notification(review, None)
    assert note.user_id == HOST and note.text == "Your guest reviewed you: 5 out of 5"


def test_contact_sharing_is_expected_after_acceptance_and_in_mentorships() -> None:
    assert not domain.contact_ok("direct", None)
    assert not domain.contact_ok("booking", "requested")
    assert domain.contact_ok("booking", "accepted") and domain.contact_ok("mentorship", None)


def test_each_mentorship_event_tells_the_other_side() -> None:
    """The mentor hears of a request; the student of the answer; whoever did not end it, of the end."""
    student, mentor = uuid.uuid4(), uuid.uuid4()
    names = {student: "Ada", mentor: None}

    def data(status: str) -> MentorshipData:
        return MentorshipData(
            mentorship_id=uuid.uuid4(), version=1, student_id=student, mentor_id=mentor, status=status, message=" Hi "
        )

    asked = domain.mentorship_update(MentorshipRequested(mentorship=data("requested")), names)
    assert asked.requester == student
    assert asked.words == (student, "Hi") and asked.read_by == {student}
    assert [(n.user_id, n.kind, n.text) for n in asked.notifications] == [
        (mentor, "mentorship_requested", "Ada asked you to be their mentor")
    ]
    yes = domain.mentorship_update(MentorshipAccepted(mentorship=data("accepted")), names)
    assert [(n.user_id, n.kind) for n in yes.notifications] == [(student, "mentorship_accepted")]
    assert yes.system_text == "The mentor accepted: you are now mentor and mentee."
    no = domain.mentorship_update(MentorshipDeclined(mentorship=data("declined")), names)
    assert [(n.user_id, n.kind) for n in no.notifications] == [(student, "mentorship_declined")]
    ended = domain.mentorship_update(MentorshipEnded(mentorship=data("ended"), ended_by=student), names)
    assert [(n.user_id, n.kind, n.text) for n in ended.notifications] == [
        (mentor, "mentorship_ended", "Ada ended your mentorship")
    ]
    # A request withdrawn before an answer read "Ada ended the mentorship" too.
    withdrawn = domain.mentorship_update(
        MentorshipEnded(mentorship=data("ended"), ended_by=student, withdrawn=True), names
    )
    assert withdrawn.system_text == "Ada withdrew the request."
    assert [(n.user_id, n.kind, n.text) for n in withdrawn.notifications] == [
        (mentor, "mentorship_ended", "Ada withdrew their mentorship request")
    ]


def test_a_suggestion_tells_the_student_why() -> None:
    student, listing = uuid.uuid4(), uuid.uuid4()
    room = MatchSuggested(
        student_id=student,
        rotation_id=uuid.uuid4(),
        kind="room",
        subject_id=listing,
        headline="Room by the park",
        score=0.8,
        reasons=["700 m from St James Healthcare", "free for all 28 nights of your rotation"],
    )
    note = domain.suggestion_notification(room)
    assert (note.user_id, note.kind, note.listing_id) == (student, "match_suggested", listing)
    assert note.text == (
        "A room for your rotation, “Room by the park”: 700 m from St James Healthcare,"
        " free for all 28 nights of your rotation"
    )
    mentor = room.model_copy(update={"kind": "mentor", "headline": "Dr. Guide", "reasons": []})
    assert domain.suggestion_notification(mentor).text == "Dr. Guide could mentor you"


def test_a_suggestion_names_its_rotation_and_opens_it() -> None:
    """Two rotations at one hospital got the same notice for the same room ("A room fits
    your rotation, ..." twice): each names its specialty and dates when the event carries
    them. Both notices carry the rotation (a suggested mentor's opens its matches); an
    event without the names reads as before."""
    student, listing = uuid.uuid4(), uuid.uuid4()
    cardiology, surgery = uuid.uuid4(), uuid.uuid4()
    room = MatchSuggested(
        student_id=student,
        rotation_id=cardiology,
        kind="room",
        subject_id=listing,
        headline="Quiet private room",
        score=0.8,
        reasons=["1.7 km from Massachusetts General Hospital"],
        specialty="cardiology",
        start_date=date(2027, 1, 5),
        end_date=date(2027, 2, 1),
    )
    first = domain.suggestion_notification(room)
    assert first.text == (
        "A room for your cardiology rotation (Jan 5 – Feb 1, 2027), “Quiet private room”:"
        " 1.7 km from Massachusetts General Hospital"
    )
    assert (first.listing_id, first.rotation_id) == (listing, cardiology)
    second = domain.suggestion_notification(
        room.model_copy(
            update={
                "rotation_id": surgery,
                "specialty": "Surgery",
                "start_date": date(2027, 12, 20),
                "end_date": date(2028, 1, 17),
            }
        )
    )
    assert second.text.startswith("A room for your Surgery rotation (Dec 20, 2027 – Jan 17, 2028), ")
    assert second.rotation_id == surgery and second.text != first.text
    mentor = domain.suggestion_notification(room.model_copy(update={"kind": "mentor", "headline": "Dr. Guide"}))
    assert mentor.text == (
        "Dr. Guide could mentor you for your cardiology rotation (Jan 5 – Feb 1, 2027):"
        " 1.7 km from Massachusetts General Hospital"
    )
    assert (mentor.listing_id, mentor.rotation_id) == (None, cardiology)
    older = room.model_copy(update={"specialty": None, "start_date": None, "end_date": None})
    assert domain.suggestion_notification(older).text.startswith("A room for your rotation, “Quiet private room”")


def test_payments_reach_the_side_they_concern() -> None:
    """Paid: both hear the stay is confirmed; unpaid in time: both hear it expired; a refused
    card and a refund reach the guest, a release the host, with the amounts."""
    from shared.contracts.listings import BookingConfirmed
    from shared.contracts.payments import PaymentData, PaymentFailed, PaymentRefunded, PaymentReleased

    confirmed = domain.booking_update(BookingConfirmed(booking=booking("confirmed")), NAMES, "R")
    assert [(n.user_id, n.kind) for n in confirmed.notifications] == [
        (GUEST, "booking_confirmed"),
        (HOST, "booking_confirmed"),
    ]
    assert "$1,008.00 through Wardmate" in confirmed.system_text
    assert confirmed.notifications[0].text.startswith("Paid $1,008.00: your stay at “R”")
    # A stay paid in blocks: what its first payment was, of the total, and the rest later
    # (it said the guest had paid the whole total).
    first = domain.booking_update(BookingConfirmed(booking=booking("confirmed"), paid_cents=50_400), NAMES, "R")
    assert "paid $504.00 of $1,008.00 through Wardmate" in first.system_text
    assert "The rest is paid in later payments" in first.system_text
    assert first.notifications[0].text.startswith("Paid $504.00 of $1,008.00: your stay at “R”")
    assert "The exact address and the check-in time are on the booking" in first.notifications[0].text
    unpaid = booking("expired").model_copy(update={"end_reason": "unpaid"})
    expired = domain.booking_update(BookingExpired(booking=unpaid), NAMES, "R")
    assert {n.user_id for n in expired.notifications} == {GUEST, HOST} and "not paid" in expired.system_text
    payment = PaymentData(
        payment_id=uuid.uuid4(),
        booking_id=uuid.uuid4(),
        block=0,
        amount_cents=100_800,
        guest_id=GUEST,
        host_id=HOST,
        listing_title="Quiet room",
        status="due",
    )
    failed = domain.payment_notification(PaymentFailed(payment=payment, reason="Your card was declined."))
    assert (failed.user_id, failed.kind) == (GUEST, "payment_failed")
    # The bank's sentence in its own brackets ("...did not go through: Your card was
    # declined." read as one), then what to do, and by when once the event says it.
    assert failed.text == (
        "Your payment for “Quiet room” did not go through (the bank said: Your card was declined). Try another card."
    )
    deadline = {"pay_by": datetime(2027, 3, 2, 3, 30, tzinfo=UTC), "time_zone": "America/New_York"}
    failed = domain.payment_notification(PaymentFailed(payment=payment, reason="Your card was declined.", **deadline))
    assert failed.text.endswith("Try another card by Mar 1, 2027 at 10:30 PM EST."), failed.text
    refund = PaymentRefunded(payment=payment, refund_id=uuid.uuid4(), refund_cents=50_400, reason="moderate")
    refunded = domain.payment_notification(refund)
    assert (refunded.user_id, refunded.text) == (
        GUEST,
        "$504.00 is being refunded to your card for “Quiet room” (moderate). It can take 5–10 business days to show",
    )
    # A cancellation's says so: the guest who cancelled is told of nothing else.
    cancelled = domain.payment_notification(refund.model_copy(update={"refund_kind": "cancellation"}))
    assert cancelled.text.startswith(
        "Your stay at “Quiet room” is cancelled: $504.00 is being refunded to your card (moderate). It can take"
    ), cancelled.text
    # Money still held goes back without touching the host's balance: a cancellation or
    # new dates told the host already, so nothing more to tell them.
    assert domain.reclaimed_notification(refund) is None
    assert domain.reclaimed_notification(refund.model_copy(update={"refund_kind": "cancellation"})) is None
    # An operator's refund of it lowers what the host will be paid, and they hear so.
    goodwill = domain.reclaimed_notification(
        refund.model_copy(update={"refund_kind": "operator", "reason": "the heating failed"})
    )
    assert goodwill is not None and (goodwill.user_id, goodwill.kind) == (HOST, "payment_reclaimed")
    assert goodwill.text == (
        "Wardmate refunded the guest $504.00 of their payment for “Quiet room” (the heating failed). It comes out"
        " of the payment held for this stay, so it will not be released to your balance"
    )
    reclaimed = domain.reclaimed_notification(refund.model_copy(update={"host_cents": 48_888}))
    assert reclaimed is not None and (reclaimed.user_id, reclaimed.kind) == (HOST, "payment_reclaimed")
    assert reclaimed.text.startswith("$488.88 taken back from your balance for “Quiet room”: the guest was refunded")
    released = domain.payment_notification(PaymentReleased(payment=payment, released_cents=97_776, fee_cents=3_024))
    assert released.user_id == HOST and "$977.76 released" in released.text and "$30.24" in released.text


def test_the_acceptance_notice_says_what_to_pay_and_by_when_on_the_rooms_clock() -> None:
    """A long stay pays in blocks: the notice names the first of them. The deadline is the
    room's (Chicago's) clock; an unknown host and title read naturally."""
    from shared.contracts.payments import PaymentData, PaymentDue

    payment = PaymentData(
        payment_id=uuid.uuid4(),
        booking_id=uuid.uuid4(),
        block=0,
        amount_cents=126_000,
        guest_id=GUEST,
        host_id=HOST,
        status="due",
    )
    event = PaymentDue(
        payment=payment,
        pay_by=datetime(2027, 3, 2, 3, 30, tzinfo=UTC),
        time_zone="America/Chicago",
        check_in=date(2027, 3, 4),
        check_out=date(2027, 5, 13),
        payments=3,
    )
    note = domain.accepted_notification(event, {})
    assert (note.user_id, note.kind, note.booking_id) == (GUEST, "booking_accepted", payment.booking_id)
    assert note.text == (
        "The host accepted your request for the room, Mar 4, 2027 to May 13, 2027 (70 nights)."
        " Pay the first of 3 payments, $1,260.00, by Mar 1, 2027 at 9:30 PM CST to confirm the stay:"
        " unpaid by then, the booking expires."
    )


def test_a_payment_due_soon_reminds_the_guest_what_and_by_when_and_what_follows() -> None:
    """The first payment: the booking expires unpaid; a later one: it is overdue. The
    deadline on the room's clock, the room named."""
    from shared.contracts.payments import PaymentData, PaymentDueSoon

    first = PaymentData(
        payment_id=uuid.uuid4(),
        booking_id=uuid.uuid4(),
        block=0,
        amount_cents=50_400,
        guest_id=GUEST,
        host_id=HOST,
        listing_title="Quiet room by Hopkins",
        status="due",
    )
    at = datetime(2027, 3, 2, 3, 30, tzinfo=UTC)
    note = domain.due_soon_notification(PaymentDueSoon(payment=first, pay_by=at, time_zone="America/Chicago"))
    assert (note.user_id, note.kind, note.booking_id) == (GUEST, "payment_due_soon", first.booking_id)
    assert note.text == (
        "Reminder: pay $504.00 for “Quiet room by Hopkins” by Mar 1, 2027 at 9:30 PM CST:"
        " unpaid by then, the booking expires and its dates go back to the host."
    )
    later = first.model_copy(update={"block": 1, "amount_cents": 21_600, "start_date": date(2027, 4, 1), "nights": 6})
    note = domain.due_soon_notification(PaymentDueSoon(payment=later, pay_by=at, time_zone="America/Chicago"))
    assert note.text.startswith("Reminder: pay $216.00 for the 6 nights from Apr 1, 2027 for “Quiet room by Hopkins”")
    assert note.text.endswith("unpaid by then, it is overdue and the host may cancel the rest of the stay.")


def test_an_overdue_later_payment_tells_both_sides_that_it_is_unpaid_not_declined() -> None:
    """A later payment past its deadline: the booking's conversation says so to both, the
    guest is told it is still unpaid past its deadline and to pay it now (the stay is not
    ended), the host that it is unpaid (it said 'did not go through' to the guest alone).
    The deadline is on the room's clock (its check-in time in Baltimore, 3:00 PM EDT): it was
    stated in UTC ("31 Mar 2027, 19:00 UTC")."""
    from shared.contracts.payments import PaymentData, PaymentOverdue

    payment = PaymentData(
        payment_id=uuid.uuid4(),
        booking_id=uuid.uuid4(),
        block=1,
        amount_cents=21_600,
        guest_id=GUEST,
        host_id=HOST,
        listing_title="Quiet room",
        status="due",
        start_date=date(2027, 3, 31),
        nights=6,
    )
    pay_by = datetime(2027, 3, 31, 19, 0, tzinfo=UTC)
    event = PaymentOverdue(
        payment=payment, reason="was due and is still unpaid", pay_by=pay_by, time_zone="America/New_York"
    )
    update = domain.overdue_update(event, NAMES)
    assert [(n.user_id, n.kind) for n in update.notifications] == [
        (GUEST, "payment_overdue"),
        (HOST, "payment_overdue"),
    ]
    assert all(n.booking_id == payment.booking_id for n in update.notifications)
    to_guest, to_host = (n.text for n in update.notifications)
    what = "$216.00 for the 6 nights from Mar 31, 2027"
    late = "was due by Mar 31, 2027 at 3:00 PM EDT and is still unpaid"
    assert f"{what} {late}. The stay is not ended" in update.system_text
    assert to_guest == f"Your payment of {what} at “Quiet room” {late}. Your stay is not ended: pay it now."
    assert "did not go through" not in update.system_text + to_guest + to_host
    assert to_host == f"Chidi's payment of {what} at “Quiet room” {late}. The stay goes on unless you cancel it."
    assert update.read_by == frozenset()  # unread for both
    # An event from before it carried the zone states the deadline in UTC, as before.
    older = domain.overdue_update(event.model_copy(update={"time_zone": None}), NAMES)
    assert "was due by Mar 31, 2027 at 7:00 PM UTC and is still unpaid" in older.system_text
    # Honolulu keeps standard time all year; a late night there is the next day in UTC.
    honolulu = event.model_copy(update={"time_zone": "Pacific/Honolulu", "pay_by": datetime(2027, 4, 1, 1, tzinfo=UTC)})
    told = domain.overdue_update(honolulu, NAMES).system_text
    assert "was due by Mar 31, 2027 at 3:00 PM HST and is still unpaid" in told


def test_a_payment_failed_event_from_before_kinds_reads_as_a_declined_card() -> None:
    """Events in the stream from before ``kind`` and the payment's nights still parse."""
    from shared.contracts.base import Event
    from shared.contracts.payments import PaymentFailed

    payment = {
        "payment_id": str(uuid.uuid4()),
        "booking_id": str(uuid.uuid4()),
        "block": 0,
        "amount_cents": 100,
        "guest_id": str(GUEST),
        "host_id": str(HOST),
        "status": "due",
    }
    old = json.dumps({"event_id": str(uuid.uuid4()), "reason": "Your card was declined.", "payment": payment})
    event = Event.parse(PaymentFailed.subject, old.encode())
    assert isinstance(event, PaymentFailed)
    assert (event.kind, event.pay_by, event.payment.start_date, event.payment.nights) == ("declined", None, None, None)
    assert domain.payment_notification(event).kind == "payment_failed"


def test_an_overdue_payment_published_as_a_payment_failed_before_its_own_event_reads_as_overdue() -> None:
    """An overdue payment announced before ``PaymentOverdue`` existed (``payments.payment.
    failed`` of kind ``overdue``, an old outbox row or the stream's history) is still the
    overdue notice to both sides, under its own event id (one inbox entry), never a
    refused card's words; a refused card has no overdue reading."""
    from shared.contracts.base import Event
    from shared.contracts.payments import PaymentFailed, PaymentOverdue

    payment = {
        "payment_id": str(uuid.uuid4()),
        "booking_id": str(uuid.uuid4()),
        "block": 1,
        "amount_cents": 21_600,
        "guest_id": str(GUEST),
        "host_id": str(HOST),
        "listing_title": "Quiet room",
        "status": "due",
        "start_date": "2027-03-31",
        "nights": 6,
    }
    event_id = uuid.uuid4()
    old = json.dumps(
        {
            "event_id": str(event_id),
            "reason": "was due and is still unpaid",
            "kind": "overdue",
            "pay_by": "2027-03-31T19:00:00Z",
            "time_zone": "America/New_York",
            "payment": payment,
        }
    )
    event = Event.parse(PaymentFailed.subject, old.encode())
    assert isinstance(event, PaymentFailed)
    overdue = event.as_overdue()
    assert isinstance(overdue, PaymentOverdue) and overdue.event_id == event_id
    update = domain.overdue_update(overdue, NAMES)
    told = [(n.user_id, n.kind) for n in update.notifications]
    assert told == [(GUEST, "payment_overdue"), (HOST, "payment_overdue")]
    assert "was due by Mar 31, 2027 at 3:00 PM EDT and is still unpaid" in update.system_text
    with pytest.raises(AssertionError):
        domain.payment_notification(event)
    declined = PaymentFailed(payment=event.payment, reason="Your card was declined.")
    assert declined.as_overdue() is None
    # The new event has its own subject: a consumer tells it apart without reading a field.
    assert PaymentOverdue.subject != PaymentFailed.subject
    assert isinstance(Event.parse(PaymentOverdue.subject, overdue.model_dump_json().encode()), PaymentOverdue)


def test_mentoring_notices_become_notifications_of_their_kind() -> None:
    """Matching words its plan and letter notices; a kind this messaging does not know yet
    (a newer matching) still reaches its reader."""
    from shared.contracts.mentoring import MentoringNotice

    user = uuid.uuid4()
    known = domain.mentoring_notification(MentoringNotice(user_id=user, kind="letter_reminder", text="Due in 7 days"))
    assert (known.user_id, known.kind, known.text) == (user, "letter_reminder", "Due in 7 days")
    newer = domain.mentoring_notification(MentoringNotice(user_id=user, kind="goal_nudged", text="x"))
    assert newer.kind == "meeting_reminder" and newer.text == "x"


def test_a_letters_notices_carry_it() -> None:
    """Each notice of a letter carries its request (the reader opens that letter, not the
    list), in matching's words; a withdrawal does not (a deleted student's is erased)."""
    from shared.contracts.mentoring import MentoringNotice

    user, letter_id = uuid.uuid4(), uuid.uuid4()

    def told(kind: str, text: str) -> domain.NotificationDraft:
        return domain.mentoring_notification(MentoringNotice(user_id=user, kind=kind, text=text, letter_id=letter_id))

    for kind, text in [
        ("letter_requested", "Amina asked you for a letter of recommendation (Cardiology), due Feb 1, 2027"),
        ("letter_accepted", "Dr. Osei accepted your letter request"),
        ("letter_submitted", "Dr. Osei uploaded your letter"),
        ("letter_confirmed", "Amina confirmed your letter arrived"),
    ]:
        notice = told(kind, text)
        assert (notice.user_id, notice.kind, notice.text, notice.letter_id) == (user, kind, text, letter_id)
        assert notice.mentorship_id is None
    for text in [
        "Amina withdrew their letter request",
        "Deleted user withdrew their letter request (Cardiology): their account is deleted",
    ]:
        withdrawn = told("letter_withdrawn", text)
        assert (withdrawn.text, withdrawn.letter_id) == (text, None)


def test_a_verification_is_worded_for_the_users_role() -> None:
    """A verified student is told of the badge hosts and mentors see, not of credentials or
    listings they do not have; a professional keeps the credentials' words."""
    from shared.contracts.accounts import UserData

    student = domain.verified_notification(UserData(user_id=GUEST, version=2, role="student", display_name="S"))
    assert (student.user_id, student.kind) == (GUEST, "user_verified")
    assert "verified student" in student.text and "credentials" not in student.text and "listings" not in student.text
    pro = domain.verified_notification(UserData(user_id=HOST, version=2, role="professional", display_name="P"))
    assert "credentials are verified" in pro.text and "listings" in pro.text


def test_a_rejected_document_tells_why_and_how_to_send_another() -> None:
    """The operator's note, which a rejection must carry, is quoted on one line; the owner
    reads which document and where to send a new one (an event from before notes were
    required, without one, still reads so)."""
    from shared.contracts.documents import DocumentDecision, DocumentRejected

    doc = uuid.uuid4()
    noted = domain.document_rejected_notification(
        DocumentRejected(user_id=GUEST, document_id=doc, kind="rotation_acceptance", note="Blurry,\n please resend ")
    )
    assert (noted.user_id, noted.kind) == (GUEST, "document_rejected")
    assert noted.text.startswith(
        "An operator could not verify your rotation acceptance letter: “Blurry, please resend”."
    )
    assert noted.text.endswith("Verification documents on your profile.")
    # A note that ends its own sentence keeps its full stop inside the quote, and only there.
    ended = domain.document_rejected_notification(
        DocumentRejected(user_id=GUEST, document_id=doc, kind="licence", note="Unreadable; send a clearer photo.")
    )
    assert "licence scan: “Unreadable; send a clearer photo.” Send a new one" in ended.text, ended.text
    with pytest.raises(ValidationError, match="say why the document is rejected"):
        DocumentDecision(document_id=doc, decision="rejected", note=" \u200b ")
    bare = domain.document_rejected_notification(DocumentRejected(user_id=HOST, document_id=doc, kind="licence"))
    assert bare.text.startswith("An operator could not verify your licence scan. Send a new one")


def test_a_rejected_credential_tells_why_and_how_to_submit_again() -> None:
    """The operator's reason, which a rejection must carry in visible words, is quoted on
    one line; the professional reads which credential and where to submit again."""
    from shared.contracts.accounts import CredentialRejected, RejectCredentialRequest

    told = domain.credential_rejected_notification(
        CredentialRejected(user_id=HOST, kind="npi", reason="Belongs to\n another physician ")
    )
    assert (told.user_id, told.kind) == (HOST, "credential_rejected")
    assert told.text.startswith("An operator could not verify your NPI: “Belongs to another physician”.")
    assert told.text.endswith("submit it again under Verification on your profile.")
    asked = domain.credential_rejected_notification(CredentialRejected(user_id=HOST, kind="npi", reason="Whose is it?"))
    assert asked.text.startswith("An operator could not verify your NPI: “Whose is it?” Correct it"), asked.text
    licence = domain.credential_rejected_notification(
        CredentialRejected(user_id=HOST, kind="license", reason="Expired")
    )
    assert "your medical licence: “Expired”" in licence.text
    for blank in ("", "   ", "\u200b\u2060"):
        with pytest.raises(ValidationError, match="reason"):
            RejectCredentialRequest(user_id=HOST, submitted_at=datetime.now(UTC), reason=blank)


def test_a_suspension_is_told_in_words_for_each_kind_of_conversation() -> None:
    """The other side of a stay reads which stay, of a mentorship that it is the mentorship,
    of a direct conversation the name alone; a suspension warns against paying outside
    Wardmate and names where to write; its lifting says messages reach them again. The
    suspended side's copy is read (they cannot sign in); the notice goes to the other side."""
    booking, listing = uuid.uuid4(), uuid.uuid4()
    stay = domain.suspension_update(
        "booking",
        HOST,
        "Dr. Ade",
        GUEST,
        "Room by Hopkins",
        suspended=True,
        support_email="help@w.test",
        booking_id=booking,
        listing_id=listing,
    )
    assert stay.system_text == (
        "Wardmate suspended the account of Dr. Ade (the stay at “Room by Hopkins”). For now they cannot sign in"
        " or read messages here. Never pay them or send them documents outside Wardmate. Questions: write to"
        " help@w.test. The stay is not cancelled: its card under Bookings says what you can do."
    )
    assert stay.read_by == {HOST} and stay.words is None
    [notice] = stay.notifications
    assert (notice.user_id, notice.kind, notice.text) == (GUEST, "account_suspended", stay.system_text)
    assert (notice.booking_id, notice.listing_id) == (booking, listing)
    mentorship = domain.suspension_update("mentorship", GUEST, "Ana", HOST, None, suspended=True, support_email="s@x")
    assert mentorship.system_text.startswith("Wardmate suspended the account of Ana (the mentorship). For now")
    assert mentorship.notifications[0].user_id == HOST
    direct = domain.suspension_update("direct", HOST, None, GUEST, None, suspended=False, support_email="s@x")
    assert direct.system_text == (
        "Wardmate lifted the suspension of the account of this user: they can sign in and read messages here again."
    )
    assert direct.notifications[0].kind == "suspension_lifted" and "s@x" not in direct.system_text


def test_a_moved_rotation_says_what_to_do_with_each_stay() -> None:
    """A booked stay is shifted by asking its host; a request cannot be shifted (it read "is
    booked" too): withdraw it and ask for the new dates. Events from before the status was
    sent read as booked."""
    from shared.contracts.matching import MovedStay, RotationMoved

    def stay(status: str | None, title: str) -> MovedStay:
        return MovedStay(
            booking_id=uuid.uuid4(),
            listing_id=uuid.uuid4(),
            listing_title=title,
            check_in=date(2027, 5, 3),
            check_out=date(2027, 5, 31),
            status=status,  # type: ignore[arg-type]
        )

    def told(*stays: MovedStay) -> str:
        event = RotationMoved(
            student_id=GUEST,
            rotation_id=uuid.uuid4(),
            start_date=date(2027, 5, 10),
            end_date=date(2027, 6, 7),
            stays=list(stays),
        )
        return domain.rotation_moved_notification(event).text

    booked = told(stay("accepted", "Quiet room"))
    assert "“Quiet room” is booked" in booked, booked
    assert booked.endswith("Ask the host to move your stay to the new dates."), booked
    assert told(stay(None, "Quiet room")) == booked
    asked = told(stay("requested", "Sunny room"))
    assert "you asked for “Sunny room”" in asked and "is booked" not in asked, asked
    assert asked.endswith("Withdraw the request and ask for the new dates instead.") and "shift" not in asked
    both = told(stay("confirmed", "Quiet room"), stay("requested", "Sunny room"))
    assert both.endswith(
        "Ask the host to move your stay to the new dates. Withdraw the request and ask for the new dates instead."
    )


def test_a_report_made_again_while_open_adds_what_it_says_once() -> None:
    """The reporter's words are added as their own paragraph, with the reason when it is
    another; the same words again (a second press, a retry) or none add nothing."""
    assert domain.report_details("", "scam", "again!", "spam") == "As spam: again!"
    assert domain.report_details("", "scam", "  wire  ", "scam") == "wire"
    first = "As spam: again!"
    more = domain.report_details(first, "scam", "Sent me a link too.", "scam")
    assert more == "As spam: again!\n\nAdded later: Sent me a link too."
    assert domain.report_details(more, "scam", "Sent me a link too.", "scam") == more
    assert domain.report_details(more, "scam", "", "other") == more
    other = domain.report_details(more, "scam", "Threats", "harassment")
    assert other.endswith("\n\nAdded later, as harassment: Threats")
    # What does not fit is refused whole, saying how much would (it was cut to fit).
    with pytest.raises(AppError, match="not added") as full:
        domain.report_details("x" * 9_990, "scam", "y" * 2_000, "scam")
    assert full.value.code == "conflict" and full.value.details == {"room": 0}
    room = domain.MAX_REPORT_DETAILS - 8_000 - len("\n\nAdded later: ")
    with pytest.raises(AppError) as full:
        domain.report_details("x" * 8_000, "scam", "y" * 2_000, "scam")
    assert full.value.details == {"room": room}
    fits = domain.report_details("x" * 8_000, "scam", "y" * room, "scam")
    assert len(fits) == domain.MAX_REPORT_DETAILS


def test_a_resolved_reports_notice_names_which_report_and_not_the_operators_note() -> None:
    """A short message is quoted whole; a deleted sender's (its text erased) by the name
    alone; a report of a user names them; each opens the conversation only for a message."""
    conversation = uuid.uuid4()
    short = domain.report_resolved_notification(
        GUEST, "Dr. Reyes", "  pay me\n in cash ", conversation, support_email="s@w.test"
    )
    assert (short.user_id, short.kind) == (GUEST, "report_resolved")
    assert short.text.startswith(
        "Wardmate looked into your report about Dr. Reyes's message “pay me in cash” and closed it."
    )
    assert short.text.endswith("questions: write to s@w.test.")
    gone = domain.report_resolved_notification(GUEST, "Deleted user", None, conversation, support_email="s@w.test")
    assert gone.text.startswith("Wardmate looked into your report about Deleted user's message and closed it.")
    person = domain.report_resolved_notification(GUEST, None, None, None, support_email="s@w.test")
    assert person.text.startswith("Wardmate looked into your report about another user and closed it.")


def test_the_day_before_check_in_both_sides_read_when_on_the_rooms_clock() -> None:
    stay_data = booking("confirmed").model_copy(update={"time_zone": "America/Chicago"})
    soon = domain.booking_update(
        BookingCheckInSoon(booking=stay_data, check_in_at=datetime(2027, 3, 1, 21, 0, tzinfo=UTC)), NAMES, "R"
    )
    assert soon.system_text.startswith("Check-in is soon: from Mar 1, 2027 at 3:00 PM CST.")
    guest_note, host_note = soon.notifications
    assert (guest_note.user_id, guest_note.kind, host_note.user_id, host_note.kind) == (
        GUEST,
        "check_in_soon",
        HOST,
        "check_in_soon",
    )
    assert guest_note.text.startswith("Your stay at “R” starts soon: check-in from Mar 1, 2027 at 3:00 PM CST.")
    assert host_note.text.endswith("checks in at “R” from Mar 1, 2027 at 3:00 PM CST")
