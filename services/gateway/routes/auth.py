"""Sign up, log in and out, the caller's account, profile and public profiles."""

from __future__ import annotations

from services.gateway.routes.route import USER_ID, Route
from shared import subjects
from shared.contracts import accounts as accounts_contracts
from shared.contracts.base import Empty, Ok

ROUTES: list[Route] = [
    Route(
        method="POST",
        path="/auth/signup",
        subject=subjects.SIGNUP,
        request=accounts_contracts.SignupRequest,
        reply=accounts_contracts.LoginReply,
        auth="public",
        summary="Create an account (student or professional) and start a session",
        tag="auth",
        status=201,
        internal_fields=("user_agent",),
        session="start",
        errors=("conflict",),
    ),
    Route(
        method="POST",
        path="/auth/login",
        subject=subjects.LOGIN,
        request=accounts_contracts.LoginRequest,
        reply=accounts_contracts.LoginReply,
        auth="public",
        summary="Log in: returns a bearer token and sets an HttpOnly session cookie",
        tag="auth",
        internal_fields=("client_address", "user_agent"),
        session="start",
        errors=("unauthorized", "forbidden"),  # 403: the account is suspended
    ),
    Route(
        method="POST",
        path="/auth/logout",
        subject=subjects.LOGOUT,
        request=accounts_contracts.TokenRequest,
        reply=Ok,
        summary="Revoke the current session at once",
        tag="auth",
        internal_fields=("token",),
        session="end",
    ),
    Route(
        method="GET",
        path="/me",
        subject=subjects.GET_ME,
        request=Empty,
        reply=accounts_contracts.Me,
        summary="Your account and profile",
        tag="auth",
    ),
    Route(
        method="GET",
        path="/auth/session",
        subject=subjects.GET_SESSION,
        request=Empty,
        reply=accounts_contracts.CurrentSession,
        auth="optional",
        summary="Who you are: your account, or null without a valid session (never a 401)",
        tag="auth",
    ),
    Route(
        method="PATCH",
        path="/me/profile",
        subject=subjects.UPDATE_PROFILE,
        request=accounts_contracts.ProfileFields,
        reply=accounts_contracts.Me,
        summary="Update your profile (send only the fields that change)",
        tag="auth",
    ),
    Route(
        method="POST",
        path="/me/verification",
        subject=subjects.SUBMIT_VERIFICATION,
        request=accounts_contracts.VerificationRequest,
        reply=accounts_contracts.Verification,
        summary="Submit an NPI or a licence for verification (professionals)",
        tag="auth",
        status=201,
        errors=("forbidden", "conflict"),
    ),
    Route(
        method="GET",
        path="/users/{id}",
        subject=subjects.GET_USER,
        request=accounts_contracts.UserIdRequest,
        reply=accounts_contracts.PublicProfile,
        auth="public",
        summary="A user's public profile, with the verified badge",
        tag="auth",
        path_params=USER_ID,
        errors=("not_found",),
    ),
]
