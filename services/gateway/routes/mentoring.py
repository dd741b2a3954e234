"""Mentoring plans: goals, meetings, notes, check-ins, mentoring settings, stalled pairs."""

from __future__ import annotations

from pydantic import BaseModel

from services.gateway.routes.route import MENTORSHIP_ID, Route
from shared import subjects
from shared.contracts import mentoring as contracts
from shared.contracts.base import Empty
from shared.errors import ErrorCode

GOAL_ID = {"id": "goal_id"}
MEETING_ID = {"id": "meeting_id"}
# What any change to a plan can answer: not yours or unknown (404), the wrong side of a
# meeting (403), a mentorship that is not accepted or a meeting past that step (409).
PLAN_ERRORS: tuple[ErrorCode, ...] = ("not_found", "forbidden", "conflict")


def _plan(method: str, path: str, subject: str, request: type[BaseModel], summary: str, **kw: object) -> Route:
    return Route(
        method=method,
        path=path,
        subject=subject,
        request=request,
        reply=contracts.Plan,
        summary=summary,
        tag="mentoring",
        errors=PLAN_ERRORS,
        **kw,  # type: ignore[arg-type]
    )


def _meeting(action: str, subject: str, request: type[BaseModel], summary: str) -> Route:
    return _plan("POST", f"/meetings/{{id}}/{action}", subject, request, summary, path_params=MEETING_ID)


ROUTES: list[Route] = [
    _plan(
        "GET",
        "/mentorships/{id}/plan",
        subjects.GET_PLAN,
        contracts.PlanId,
        "A mentorship's plan as you see it: goals, meetings in both time zones, notes, your check-ins",
        path_params=MENTORSHIP_ID,
    ),
    _plan(
        "POST",
        "/mentorships/{id}/goals",
        subjects.ADD_GOAL,
        contracts.GoalCreate,
        "Add a goal (either side, while the mentorship is accepted)",
        path_params=MENTORSHIP_ID,
        status=201,
    ),
    _plan(
        "PATCH",
        "/goals/{id}",
        subjects.UPDATE_GOAL,
        contracts.GoalUpdate,
        "Edit, complete or drop a goal (send only what changes)",
        path_params=GOAL_ID,
    ),
    _plan(
        "POST",
        "/mentorships/{id}/meetings",
        subjects.PROPOSE_MEETING,
        contracts.MeetingPropose,
        "Propose a meeting: 1 to 3 times (with their offsets), a place or a video link; the same proposal"
        " again while it is open answers the plan with that meeting",
        path_params=MENTORSHIP_ID,
        status=201,
    ),
    _meeting(
        "accept", subjects.ACCEPT_MEETING, contracts.MeetingAccept, "Accept one of the proposed times (the other side)"
    ),
    _meeting("decline", subjects.DECLINE_MEETING, contracts.MeetingId, "Decline the proposed times (the other side)"),
    _meeting(
        "reschedule",
        subjects.RESCHEDULE_MEETING,
        contracts.MeetingReschedule,
        "Propose new times for a meeting (the times it already has: nothing changes, nobody is told)",
    ),
    _meeting("cancel", subjects.CANCEL_MEETING, contracts.MeetingId, "Cancel a proposed or scheduled meeting"),
    _meeting("held", subjects.HOLD_MEETING, contracts.MeetingId, "Say a scheduled meeting took place"),
    Route(
        method="GET",
        path="/me/meetings-to-answer",
        subject=subjects.MEETINGS_TO_ANSWER,
        request=contracts.MeetingsToAnswerRequest,
        reply=contracts.MeetingsToAnswer,
        summary="Meetings whose proposed times wait for your answer (the other side proposed them, one is still"
        " ahead), oldest proposal first",
        tag="mentoring",
    ),
    _plan(
        "POST",
        "/mentorships/{id}/notes",
        subjects.ADD_NOTE,
        contracts.NoteCreate,
        "Write a note: shared on a meeting, or private (only you see it)",
        path_params=MENTORSHIP_ID,
        status=201,
    ),
    _plan(
        "POST",
        "/mentorships/{id}/check-ins",
        subjects.ADD_CHECK_IN,
        contracts.CheckInCreate,
        "Answer the mid- or end-of-rotation check-in once it is due (private to you and the operators' aggregate;"
        " 409 before, saying when it opens)",
        path_params=MENTORSHIP_ID,
        status=201,
    ),
    Route(
        method="GET",
        path="/me/mentoring-settings",
        subject=subjects.GET_MENTORING_SETTINGS,
        request=Empty,
        reply=contracts.MentoringSettings,
        summary="Your time zone (chosen, or your hospital's state's) and who sees you on hospital pages",
        tag="mentoring",
    ),
    Route(
        method="PATCH",
        path="/me/mentoring-settings",
        subject=subjects.UPDATE_MENTORING_SETTINGS,
        request=contracts.SettingsUpdate,
        reply=contracts.MentoringSettings,
        summary="Change your time zone or who sees you on hospital pages",
        tag="mentoring",
    ),
    Route(
        method="GET",
        path="/hospitals/{id}/people",
        subject=subjects.HOSPITAL_PAGE,
        request=contracts.HospitalPageRequest,
        reply=contracts.HospitalPeople,
        summary="A hospital's page: rooms near it, mentors and peers rotating there who let you see them",
        tag="mentoring",
        path_params={"id": "hospital_id"},
        errors=("not_found",),
    ),
    Route(
        method="GET",
        path="/reference-lists",
        subject=subjects.REFERENCE_LISTS,
        request=Empty,
        reply=contracts.ReferenceLists,
        auth="public",
        summary="Specialties (as residency applications name them) and professional organizations to choose from",
        tag="mentoring",
    ),
    Route(
        method="GET",
        path="/admin/mentoring/outcomes",
        subject=subjects.MENTORING_OUTCOMES,
        request=contracts.OutcomesRequest,
        reply=contracts.Outcomes,
        summary="Mentoring outcomes per hospital and month, with a chart (admins; counts only)",
        tag="operators",
        errors=("forbidden",),
    ),
    Route(
        method="GET",
        path="/admin/mentoring/stalled",
        subject=subjects.STALLED_PAIRS,
        request=contracts.StalledPairsRequest,
        reply=contracts.StalledPairs,
        summary="Pairs with no meeting held 14 days or more after acceptance (admins)",
        tag="operators",
        errors=("forbidden",),
    ),
]
