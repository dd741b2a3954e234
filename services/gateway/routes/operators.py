"""Operators: verifications, reports, messaging statistics, cohort match rounds, health."""

from __future__ import annotations

from services.gateway.routes.route import REPORT_ID, ROUND_ID, USER_ID, Route
from shared import subjects
from shared.contracts import accounts as accounts_contracts
from shared.contracts import matching as matching_contracts
from shared.contracts import messaging as messaging_contracts
from shared.contracts.base import Empty

ROUTES: list[Route] = [
    Route(
        method="POST",
        path="/admin/verifications/{id}",
        subject=subjects.VERIFY_USER,
        request=accounts_contracts.VerifyUserRequest,
        reply=accounts_contracts.Verification,
        summary="Verify a professional's credentials (admins)",
        tag="operators",
        path_params=USER_ID,
        errors=("forbidden", "not_found", "conflict"),
    ),
    Route(
        method="GET",
        path="/admin/verifications",
        subject=subjects.LIST_VERIFICATIONS,
        request=accounts_contracts.VerificationQueue,
        reply=accounts_contracts.CredentialPage,
        summary="Submitted credentials to check (admins): pending oldest first, or verified newest first",
        tag="operators",
        errors=("forbidden",),
    ),
    Route(
        method="GET",
        path="/admin/reports",
        subject=subjects.LIST_REPORTS,
        request=messaging_contracts.ReportList,
        reply=messaging_contracts.ReportPage,
        summary="The report queue, newest first (admins)",
        tag="operators",
        errors=("forbidden",),
    ),
    Route(
        method="POST",
        path="/admin/reports/{id}/resolve",
        subject=subjects.RESOLVE_REPORT,
        request=messaging_contracts.ReportResolve,
        reply=messaging_contracts.Report,
        summary="Resolve a report (admins)",
        tag="operators",
        path_params=REPORT_ID,
        errors=("forbidden", "not_found", "conflict"),
    ),
    Route(
        method="GET",
        path="/admin/messaging/stats",
        subject=subjects.MESSAGING_STATS,
        request=Empty,
        reply=messaging_contracts.MessagingStats,
        summary="Messages, scam warnings by rule, reports and blocks (admins)",
        tag="operators",
        errors=("forbidden",),
    ),
    Route(
        method="POST",
        path="/admin/match-rounds",
        subject=subjects.CREATE_MATCH_ROUND,
        request=matching_contracts.MatchRoundCreate,
        reply=matching_contracts.MatchRound,
        summary="Queue a cohort match round: explicit rotations and mentors, a hospital's month, or a scramble"
        " of a finished round's unmatched rotations (admins)",
        tag="operators",
        status=202,
        errors=("forbidden", "not_found", "conflict"),
    ),
    Route(
        method="GET",
        path="/admin/match-rounds",
        subject=subjects.LIST_MATCH_ROUNDS,
        request=matching_contracts.MatchRoundList,
        reply=matching_contracts.MatchRoundPage,
        summary="Cohort match rounds, newest first (admins)",
        tag="operators",
        errors=("forbidden",),
    ),
    Route(
        method="GET",
        path="/admin/match-rounds/{id}",
        subject=subjects.GET_MATCH_ROUND,
        request=matching_contracts.MatchRoundId,
        reply=matching_contracts.MatchRound,
        summary="A match round: status, progress, counts, rank distribution, blocking pairs, chart (admins)",
        tag="operators",
        path_params=ROUND_ID,
        errors=("forbidden", "not_found"),
    ),
    Route(
        method="GET",
        path="/admin/match-rounds/{id}/assignments",
        subject=subjects.ROUND_ASSIGNMENTS,
        request=matching_contracts.RoundAssignments,
        reply=matching_contracts.RoundAssignmentPage,
        summary="A match round's assignment: each rotation's mentor (or none) and its rank (admins)",
        tag="operators",
        path_params=ROUND_ID,
        errors=("forbidden", "not_found"),
    ),
    Route(
        method="POST",
        path="/admin/match-rounds/{id}/accept",
        subject=subjects.ACCEPT_MATCH_ROUND,
        request=matching_contracts.MatchRoundId,
        reply=matching_contracts.MatchRound,
        summary="Accept a done round: each match becomes a mentorship request (admins)",
        tag="operators",
        path_params=ROUND_ID,
        errors=("forbidden", "not_found", "conflict"),
    ),
]
