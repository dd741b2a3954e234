"""The mail preferences list: every kind messaging notifies of (but the safety notices,
always mailed) is there once, in words, and each role is offered only the kinds it can get."""

from __future__ import annotations

from typing import get_args

from shared.contracts.lifecycle import MAIL_CHOICES, SAFETY_KINDS, Preferences, mail_choices
from shared.contracts.messaging import NotificationKind


def test_every_notification_kind_has_words_and_a_group() -> None:
    assert set(MAIL_CHOICES) == set(get_args(NotificationKind)) - SAFETY_KINDS
    for group, label, roles in MAIL_CHOICES.values():
        assert group and label[0].isupper() and "_" not in label
        assert roles and roles <= {"student", "professional"}


def test_each_role_is_offered_the_kinds_it_can_get() -> None:
    student = {c.kind for c in mail_choices("student")}
    professional = {c.kind for c in mail_choices("professional")}
    assert {"booking_accepted", "mentorship_accepted", "letter_accepted", "payment_refunded"} <= student
    assert not {"booking_requested", "mentorship_requested", "letter_requested", "payment_released"} & student
    assert {"booking_requested", "mentorship_requested", "letter_requested", "payment_released"} <= professional
    assert not {"booking_accepted", "mentorship_accepted", "letter_accepted", "match_suggested"} & professional
    # Both sides of a stay, a mentorship or a letter hear of these.
    assert {"booking_cancelled", "meeting_proposed", "letter_expired", "user_verified"} <= student & professional
    # Operators see every kind.
    assert [c.kind for c in mail_choices("admin")] == list(MAIL_CHOICES)


def test_preferences_list_the_roles_kinds_in_order_of_their_groups() -> None:
    prefs = Preferences.of("student", ["booking_declined"], True)
    assert prefs.kinds == [c.kind for c in prefs.choices]
    groups = [c.group for c in prefs.choices]
    assert groups == sorted(groups, key=groups.index)  # each group's kinds together
    assert [c.group for c in prefs.choices][:1] == ["Stays"]


def test_preferences_show_only_the_roles_own_muted_kinds() -> None:
    """A kind stored as muted that the role never gets (muted before a PUT checked it) is
    left out of the reply: the web client sends the list back, and its PUT was a 400."""
    prefs = Preferences.of("student", ["booking_requested", "booking_declined", "letter_requested"], True)
    assert prefs.muted_kinds == ["booking_declined"]
    assert Preferences.of("professional", ["booking_requested"], True).muted_kinds == ["booking_requested"]
