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
from shared.contracts.base import Empty, Ok

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
    # the documented body, and whatever a client sends for them is replaced.
    internal_fields: tuple[str, ...] = ()
    session: Session | None = None


A, L, B, H, ADM = "auth", "listings", "bookings", "hospitals", "operators"
LID = {"id": "listing_id"}
BID = {"id": "booking_id"}
UID = {"id": "user_id"}

ROUTES: list[Route] = [
    Route(
        "POST",
        "/auth/signup",
        subjects.SIGNUP,
        acc.SignupRequest,
        acc.LoginReply,
        "public",
        "Create an account (student or professional) and start a session",
        A,
        201,
        session="start",
    ),
    Route(
        "POST",
        "/auth/login",
        subjects.LOGIN,
        acc.LoginRequest,
        acc.LoginReply,
        "public",
        "Log in: returns a bearer token and sets an HttpOnly session cookie",
        A,
        internal_fields=("client_address",),
        session="start",
    ),
    Route(
        "POST",
        "/auth/logout",
        subjects.LOGOUT,
        acc.TokenRequest,
        Ok,
        "user",
        "Revoke the current session at once",
        A,
        internal_fields=("token",),
        session="end",
    ),
    Route("GET", "/me", subjects.GET_ME, Empty, acc.Me, "user", "Your account and profile", A),
    Route(
        "PATCH",
        "/me/profile",
        subjects.UPDATE_PROFILE,
        acc.ProfileFields,
        acc.Me,
        "user",
        "Update your profile (send only the fields that change)",
        A,
    ),
    Route(
        "POST",
        "/me/verification",
        subjects.SUBMIT_VERIFICATION,
        acc.VerificationRequest,
        acc.Verification,
        "user",
        "Submit an NPI or a licence for verification (professionals)",
        A,
        201,
    ),
    Route(
        "GET",
        "/users/{id}",
        subjects.GET_USER,
        acc.UserIdRequest,
        acc.PublicProfile,
        "public",
        "A user's public profile, with the verified badge",
        A,
        path_params=UID,
    ),
    Route(
        "GET",
        "/hospitals",
        subjects.SEARCH_HOSPITALS,
        lst.HospitalSearch,
        lst.HospitalPage,
        "public",
        "Search the hospital directory by name (prefix and fuzzy) and state",
        H,
    ),
    Route(
        "POST",
        "/listings",
        subjects.CREATE_LISTING,
        lst.ListingCreate,
        lst.Listing,
        "user",
        "Post a room (professionals only)",
        L,
        201,
    ),
    Route(
        "GET",
        "/listings",
        subjects.SEARCH_LISTINGS,
        lst.ListingSearch,
        lst.SearchPage,
        "optional",
        "Search rooms near a hospital or point, free for your dates",
        L,
    ),
    Route(
        "GET",
        "/listings/{id}",
        subjects.GET_LISTING,
        lst.ListingId,
        lst.Listing,
        "optional",
        "A listing; the exact address only for its host and accepted guests",
        L,
        path_params=LID,
    ),
    Route(
        "PATCH",
        "/listings/{id}",
        subjects.UPDATE_LISTING,
        lst.ListingUpdate,
        lst.Listing,
        "user",
        "Change your listing",
        L,
        path_params=LID,
    ),
    Route(
        "DELETE",
        "/listings/{id}",
        subjects.ARCHIVE_LISTING,
        lst.ListingId,
        Ok,
        "user",
        "Archive your listing",
        L,
        path_params=LID,
    ),
    Route(
        "GET",
        "/listings/{id}/quote",
        subjects.QUOTE_STAY,
        lst.QuoteRequest,
        lst.Quote,
        "optional",
        "The price of a stay before you request it (no hidden fees)",
        L,
        path_params=LID,
    ),
    Route(
        "GET",
        "/me/listings",
        subjects.MY_LISTINGS,
        lst.MyListings,
        lst.ListingPage,
        "user",
        "Your listings, drafts included",
        L,
    ),
    Route(
        "POST",
        "/listings/{id}/bookings",
        subjects.REQUEST_BOOKING,
        lst.BookingRequest,
        lst.Booking,
        "user",
        "Request a stay",
        B,
        201,
        path_params=LID,
    ),
    Route(
        "GET",
        "/me/bookings",
        subjects.MY_BOOKINGS,
        lst.MyBookings,
        lst.BookingPage,
        "user",
        "Your bookings as guest and as host",
        B,
    ),
    Route(
        "POST",
        "/bookings/{id}/accept",
        subjects.ACCEPT_BOOKING,
        lst.BookingAction,
        lst.Booking,
        "user",
        "Accept a booking request (host)",
        B,
        path_params=BID,
    ),
    Route(
        "POST",
        "/bookings/{id}/decline",
        subjects.DECLINE_BOOKING,
        lst.BookingAction,
        lst.Booking,
        "user",
        "Decline a booking request (host)",
        B,
        path_params=BID,
    ),
    Route(
        "POST",
        "/bookings/{id}/cancel",
        subjects.CANCEL_BOOKING,
        lst.BookingAction,
        lst.Booking,
        "user",
        "Cancel a booking (guest or host)",
        B,
        path_params=BID,
    ),
    Route(
        "POST",
        "/bookings/{id}/reviews",
        subjects.POST_REVIEW,
        lst.ReviewCreate,
        lst.Review,
        "user",
        "Review a completed stay, once per side",
        B,
        201,
        path_params=BID,
    ),
    Route(
        "POST",
        "/admin/verifications/{id}",
        subjects.VERIFY_USER,
        acc.UserIdRequest,
        acc.Verification,
        "user",
        "Verify a professional's credentials (admins)",
        ADM,
        path_params=UID,
    ),
]
