"""An event type and a stream used only by the plumbing tests."""

from __future__ import annotations

from typing import ClassVar

from shared.contracts.base import Event

TEST_STREAM = "WARDMATE_TEST_PLUMBING"
TEST_SUBJECT = "test.plumbing.thing.happened"


class ThingHappened(Event):
    subject: ClassVar[str] = TEST_SUBJECT
    name: str
