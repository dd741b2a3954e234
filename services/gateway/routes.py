"""The REST surface: each route names its NATS subject and its pydantic contracts.

The gateway's handlers and its OpenAPI document are both built from this one table, so
a route cannot be served without being documented (or documented without being served).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel

from shared import subjects
from shared.contracts import accounts as acc
from shared.contracts import listings as lst
from shared.contracts import messaging as msg
from shared.contracts.base import Empty, Ok
from shared.errors import ErrorCode

Auth = Literal["public", "optional", "user"]
# What a route does to the browser session: "start" sets the cookies from the reply's
# token, "end" revokes the caller's session and clears them.
Session = Literal["start", "end"]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    subject: str
    request: type[BaseModel]
    reply: type[BaseModel]
    auth: Auth = "user"
    summary: str = ""
    tag: str = ""
    status: int = 200
    path_params: dict[str, str] = field(default_factory=dict)
    # Request fields the gateway fills in itself (see app.GATEWAY_FIELDS); hidden from
    # the documented body, and refused when a client sends them.
    internal_fields: tuple[str, ...] = ()
    session: Session | None = None
    # What the service can answer besides success and the errors any route can give
    # (validation, rate_limited, unavailable, timeout; unauthorized unless public; a
    # cookie session's missing CSRF header on writes): the document lists exactly these.
    errors: tuple[ErrorCode, ...] = ()


A, L, B, H, M, ADM = "auth", "listings", "bookings", "hospitals", "messaging", "operators"
LID = {"id": "listing_id"}
BID = {"id": "booking_id"}
UID = {"id": "user_id"}
CID = {"id": "conversation_id"}
RID = {"id": "report_id"}

ROUTES: list[Route] = [
    Route(
        method="POST",
        path="/auth/signup",
        subject=subjects.SIGNUP,
        request=acc.SignupRequest,
        reply=acc.LoginReply,
        auth="public",
        summary="Create an account (student or professional) and start a session",
        tag=A,
        status=201,
        session="start",
        errors=("conflict",),
    ),
    Route(
        method="POST",
        path="/auth/login",
        subject=subjects.LOGIN,
        request=acc.LoginRequest,
        reply=acc.LoginReply,
        auth="public",
        summary="Log in: returns a bearer token and sets an HttpOnly session cookie",
        tag=A,
        internal_fields=("client_address",),
        session="start",
        errors=("unauthorized",),
    ),
    Route(
        method="POST",
        path="/auth/logout",
        subject=subjects.LOGOUT,
        request=acc.TokenRequest,
        reply=Ok,
        summary="Revoke the current session at once",
        tag=A,
        internal_fields=("token",),
        session="end",
    ),
    Route(
        method="GET",
        path="/me",
        subject=subjects.GET_ME,
        request=Empty,
        reply=acc.Me,
        summary="Your account and profile",
        tag=A,
    ),
    Route(
        method="PATCH",
        path="/me/profile",
        subject=subjects.UPDATE_PROFILE,
        request=acc.ProfileFields,
        reply=acc.Me,
        summary="Update your profile (send only the fields that change)",
        tag=A,
    ),
    Route(
        method="POST",
        path="/me/verification",
        subject=subjects.SUBMIT_VERIFICATION,
        request=acc.VerificationRequest,
        reply=acc.Verification,
        summary="Submit an NPI or a licence for verification (professionals)",
        tag=A,
        status=201,
        errors=("forbidden", "conflict"),
    ),
    Route(
        method="GET",
        path="/users/{id}",
        subject=subjects.GET_USER,
        request=acc.UserIdRequest,
        reply=acc.PublicProfile,
        auth="public",
        summary="A user's public profile, with the verified badge",
        tag=A,
        path_params=UID,
        errors=("not_found",),
    ),
    Route(
        method="GET",
        path="/hospitals",
        subject=subjects.SEARCH_HOSPITALS,
        request=lst.HospitalSearch,
        reply=lst.HospitalPage,
        auth="public",
        summary="Search the hospital directory by name (prefix and fuzzy) and state",
        tag=H,
    ),
    Route(
        method="POST",
        path="/listings",
        subject=subjects.CREATE_LISTING,
        request=lst.ListingCreate,
        reply=lst.Listing,
        summary="Post a room (professionals only)",
        tag=L,
        status=201,
        errors=("forbidden",),
    ),
    Route(
        method="GET",
        path="/listings",
        subject=subjects.SEARCH_LISTINGS,
        request=lst.ListingSearch,
        reply=lst.SearchPage,
        auth="optional",
        summary="Search rooms near a hospital or point, free for your dates",
        tag=L,
        errors=("not_found",),  # an unknown hospital_id
    ),
    Route(
        method="GET",
        path="/listings/{id}",
        subject=subjects.GET_LISTING,
        request=lst.ListingId,
        reply=lst.Listing,
        auth="optional",
        summary="A listing; the exact address only for its host and accepted guests",
        tag=L,
        path_params=LID,
        errors=("not_found",),
    ),
    Route(
        method="PATCH",
        path="/listings/{id}",
        subject=subjects.UPDATE_LISTING,
        request=lst.ListingUpdate,
        reply=lst.Listing,
        summary="Change your listing",
        tag=L,
        path_params=LID,
        errors=("not_found", "forbidden", "conflict"),
    ),
    Route(
        method="DELETE",
        path="/listings/{id}",
        subject=subjects.ARCHIVE_LISTING,
        request=lst.ListingId,
        reply=Ok,
        summary="Archive your listing: from then on it answers 404 (it stays in /me/listings)",
        tag=L,
        path_params=LID,
        errors=("not_found", "forbidden"),
    ),
    Route(
        method="GET",
        path="/listings/{id}/quote",
        subject=subjects.QUOTE_STAY,
        request=lst.QuoteRequest,
        reply=lst.Quote,
        auth="optional",
        summary="The price of a stay before you request it (no hidden fees)",
        tag=L,
        path_params=LID,
        errors=("not_found",),
    ),
    Route(
        method="GET",
        path="/me/listings",
        subject=subjects.MY_LISTINGS,
        request=lst.MyListings,
        reply=lst.ListingPage,
        summary="Your listings, drafts included",
        tag=L,
    ),
    Route(
        method="POST",
        path="/listings/{id}/bookings",
        subject=subjects.REQUEST_BOOKING,
        request=lst.BookingRequest,
        reply=lst.Booking,
        summary="Request a stay",
        tag=B,
        status=201,
        path_params=LID,
        errors=("not_found", "forbidden"),
    ),
    Route(
        method="GET",
        path="/me/bookings",
        subject=subjects.MY_BOOKINGS,
        request=lst.MyBookings,
        reply=lst.BookingPage,
        summary="Your bookings as guest and as host",
        tag=B,
    ),
    Route(
        method="POST",
        path="/bookings/{id}/accept",
        subject=subjects.ACCEPT_BOOKING,
        request=lst.BookingAction,
        reply=lst.Booking,
        summary="Accept a booking request (host)",
        tag=B,
        path_params=BID,
        errors=("not_found", "forbidden", "conflict"),
    ),
    Route(
        method="POST",
        path="/bookings/{id}/decline",
        subject=subjects.DECLINE_BOOKING,
        request=lst.BookingAction,
        reply=lst.Booking,
        summary="Decline a booking request (host)",
        tag=B,
        path_params=BID,
        errors=("not_found", "forbidden", "conflict"),
    ),
    Route(
        method="POST",
        path="/bookings/{id}/cancel",
        subject=subjects.CANCEL_BOOKING,
        request=lst.BookingAction,
        reply=lst.Booking,
        summary="Cancel a booking (guest or host)",
        tag=B,
        path_params=BID,
        errors=("not_found", "conflict"),
    ),
    Route(
        method="POST",
        path="/bookings/{id}/reviews",
        subject=subjects.POST_REVIEW,
        request=lst.ReviewCreate,
        reply=lst.Review,
        summary="Review a completed stay, once per side",
        tag=B,
        status=201,
        path_params=BID,
        errors=("not_found", "conflict"),
    ),
    Route(
        method="POST",
        path="/admin/verifications/{id}",
        subject=subjects.VERIFY_USER,
        request=acc.UserIdRequest,
        reply=acc.Verification,
        summary="Verify a professional's credentials (admins)",
        tag=ADM,
        path_params=UID,
        errors=("forbidden", "not_found", "conflict"),
    ),
    Route(
        method="GET",
        path="/conversations",
        subject=subjects.LIST_CONVERSATIONS,
        request=msg.ConversationList,
        reply=msg.ConversationPage,
        summary="Your conversations, newest activity first, each with its last message, the other"
        " participant and your unread count; your unread totals",
        tag=M,
    ),
    Route(
        method="POST",
        path="/conversations",
        subject=subjects.START_CONVERSATION,
        request=msg.ConversationStart,
        reply=msg.Conversation,
        summary="Start a direct conversation with a user (or get the one you have), optionally with a first message",
        tag=M,
        errors=("not_found", "forbidden"),
    ),
    Route(
        method="GET",
        path="/conversations/{id}",
        subject=subjects.GET_CONVERSATION,
        request=msg.ConversationId,
        reply=msg.Conversation,
        summary="One of your conversations",
        tag=M,
        path_params=CID,
        errors=("not_found",),
    ),
    Route(
        method="GET",
        path="/conversations/{id}/messages",
        subject=subjects.LIST_MESSAGES,
        request=msg.MessageHistory,
        reply=msg.MessagePage,
        summary="A conversation's messages, newest first; pass next_cursor as before for older ones",
        tag=M,
        path_params=CID,
        errors=("not_found",),
    ),
    Route(
        method="POST",
        path="/conversations/{id}/messages",
        subject=subjects.SEND_MESSAGE,
        request=msg.MessageSend,
        reply=msg.Message,
        summary="Send a message (the same client_message_id again returns the stored one)",
        tag=M,
        status=201,
        path_params=CID,
        errors=("not_found", "forbidden"),
    ),
    Route(
        method="POST",
        path="/conversations/{id}/read",
        subject=subjects.MARK_READ,
        request=msg.ReadUpTo,
        reply=msg.ReadState,
        summary="Mark a conversation read up to a message (its newest when none is given)",
        tag=M,
        path_params=CID,
        errors=("not_found",),
    ),
    Route(
        method="GET",
        path="/me/unread",
        subject=subjects.UNREAD_COUNTS,
        request=Empty,
        reply=msg.UnreadCounts,
        summary="Your unread messages, conversations and notifications",
        tag=M,
    ),
    Route(
        method="GET",
        path="/notifications",
        subject=subjects.LIST_NOTIFICATIONS,
        request=msg.NotificationList,
        reply=msg.NotificationPage,
        summary="Your notifications, newest first (unread=true for unread ones only)",
        tag=M,
    ),
    Route(
        method="POST",
        path="/notifications/read",
        subject=subjects.READ_NOTIFICATIONS,
        request=msg.NotificationsRead,
        reply=msg.UnreadCounts,
        summary="Mark your notifications read: all, or up to one",
        tag=M,
        errors=("not_found",),
    ),
    Route(
        method="POST",
        path="/users/{id}/block",
        subject=subjects.BLOCK_USER,
        request=msg.UserRef,
        reply=msg.BlockState,
        summary="Block a user: neither of you can start a conversation with or write to the other",
        tag=M,
        path_params=UID,
        errors=("not_found",),
    ),
    Route(
        method="DELETE",
        path="/users/{id}/block",
        subject=subjects.UNBLOCK_USER,
        request=msg.UserRef,
        reply=msg.BlockState,
        summary="Unblock a user",
        tag=M,
        path_params=UID,
    ),
    Route(
        method="POST",
        path="/reports",
        subject=subjects.REPORT,
        request=msg.ReportCreate,
        reply=msg.Report,
        summary="Report a message or a user to the operators",
        tag=M,
        status=201,
        errors=("not_found",),
    ),
    Route(
        method="GET",
        path="/admin/reports",
        subject=subjects.LIST_REPORTS,
        request=msg.ReportList,
        reply=msg.ReportPage,
        summary="The report queue, newest first (admins)",
        tag=ADM,
        errors=("forbidden",),
    ),
    Route(
        method="POST",
        path="/admin/reports/{id}/resolve",
        subject=subjects.RESOLVE_REPORT,
        request=msg.ReportResolve,
        reply=msg.Report,
        summary="Resolve a report (admins)",
        tag=ADM,
        path_params=RID,
        errors=("forbidden", "not_found", "conflict"),
    ),
    Route(
        method="GET",
        path="/admin/messaging/stats",
        subject=subjects.MESSAGING_STATS,
        request=Empty,
        reply=msg.MessagingStats,
        summary="Messages, scam warnings by rule, reports and blocks (admins)",
        tag=ADM,
        errors=("forbidden",),
    ),
]
