"""Letters of recommendation: requests, the writer's answer and upload date, the student's
confirmation and dashboard."""

from __future__ import annotations

from pydantic import BaseModel

from services.gateway.routes.route import Route
from shared import subjects
from shared.contracts import letters as contracts

LETTER_ID = {"id": "letter_id"}


def _action(action: str, subject: str, request: type[BaseModel], summary: str) -> Route:
    return Route(
        method="POST",
        path=f"/letters/{{id}}/{action}",
        subject=subject,
        request=request,
        reply=contracts.Letter,
        summary=summary,
        tag="letters",
        path_params=LETTER_ID,
        errors=("not_found", "forbidden", "conflict"),
    )


ROUTES: list[Route] = [
    Route(
        method="POST",
        path="/letters",
        subject=subjects.REQUEST_LETTER,
        request=contracts.LetterCreate,
        reply=contracts.Letter,
        summary="Ask your mentor or a host of a completed stay for a letter of recommendation (students)",
        tag="letters",
        status=201,
        errors=("forbidden", "not_found", "conflict"),
    ),
    Route(
        method="GET",
        path="/me/letters",
        subject=subjects.MY_LETTERS,
        request=contracts.MyLetters,
        reply=contracts.LetterPage,
        summary="Your letter requests, open ones first by nearest deadline",
        tag="letters",
    ),
    Route(
        method="GET",
        path="/letters/{id}",
        subject=subjects.GET_LETTER,
        request=contracts.LetterRef,
        reply=contracts.Letter,
        summary="A letter request; the writer's page holds the Letter ID, the student's profile and rotations",
        tag="letters",
        path_params=LETTER_ID,
        errors=("not_found",),
    ),
    _action("accept", subjects.ACCEPT_LETTER, contracts.LetterRef, "Agree to write the letter (the writer)"),
    _action("decline", subjects.DECLINE_LETTER, contracts.LetterRef, "Decline to write the letter (the writer)"),
    _action(
        "submit",
        subjects.SUBMIT_LETTER,
        contracts.LetterSubmit,
        "Say you uploaded it to the AAMC Letter Writer Portal, and when (the writer)",
    ),
    _action("confirm", subjects.CONFIRM_LETTER, contracts.LetterRef, "Confirm the letter arrived (the student)"),
    _action("withdraw", subjects.WITHDRAW_LETTER, contracts.LetterRef, "Withdraw an open request (the student)"),
]
