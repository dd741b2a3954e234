"""The hospital directory, room listings and search."""

from __future__ import annotations

from services.gateway.routes.route import LISTING_ID, USER_ID, Route
from shared import subjects
from shared.contracts import hospitals as hospitals_contracts
from shared.contracts import listings as listings_contracts
from shared.contracts.base import Ok

ROUTES: list[Route] = [
    Route(
        method="GET",
        path="/hospitals",
        subject=subjects.SEARCH_HOSPITALS,
        request=hospitals_contracts.HospitalSearch,
        reply=hospitals_contracts.HospitalPage,
        auth="public",
        summary="Search the hospital directory by name (prefix and fuzzy) and state",
        tag="hospitals",
    ),
    Route(
        method="POST",
        path="/listings",
        subject=subjects.CREATE_LISTING,
        request=listings_contracts.ListingCreate,
        reply=listings_contracts.Listing,
        summary="Post a room (professionals only)",
        tag="listings",
        status=201,
        errors=("forbidden",),
    ),
    Route(
        method="GET",
        path="/listings",
        subject=subjects.SEARCH_LISTINGS,
        request=listings_contracts.ListingSearch,
        reply=listings_contracts.SearchPage,
        auth="optional",
        summary="Search rooms near a hospital or point, free for your dates",
        tag="listings",
        errors=("not_found",),  # an unknown hospital_id
    ),
    Route(
        method="GET",
        path="/listings/{id}",
        subject=subjects.GET_LISTING,
        request=listings_contracts.ListingId,
        reply=listings_contracts.Listing,
        auth="optional",
        summary="A listing; the exact address only for its host and accepted guests",
        tag="listings",
        path_params=LISTING_ID,
        errors=("not_found",),
    ),
    Route(
        method="PATCH",
        path="/listings/{id}",
        subject=subjects.UPDATE_LISTING,
        request=listings_contracts.ListingUpdate,
        reply=listings_contracts.Listing,
        summary="Change your listing",
        tag="listings",
        path_params=LISTING_ID,
        errors=("not_found", "forbidden", "conflict"),
    ),
    Route(
        method="DELETE",
        path="/listings/{id}",
        subject=subjects.ARCHIVE_LISTING,
        request=listings_contracts.ListingId,
        reply=Ok,
        summary=(
            "Archive your listing: from then on it answers 404 (it stays in /me/listings); waiting requests"
            " are declined; refused (409) while it has an accepted or paid stay"
        ),
        tag="listings",
        path_params=LISTING_ID,
        errors=("not_found", "forbidden", "conflict"),
    ),
    Route(
        method="GET",
        path="/listings/{id}/quote",
        subject=subjects.QUOTE_STAY,
        request=listings_contracts.QuoteRequest,
        reply=listings_contracts.Quote,
        auth="optional",
        summary="The price of a stay before you request it (no hidden fees)",
        tag="listings",
        path_params=LISTING_ID,
        errors=("not_found",),
    ),
    Route(
        method="POST",
        path="/listings/{id}/blocked-dates",
        subject=subjects.BLOCK_DATES,
        request=listings_contracts.BlockedDatesCreate,
        reply=listings_contracts.BlockedDates,
        summary="Block nights of your room (your own use, a visit, repairs): no request, quote, search or room"
        " match offers them. start today or later at the room, end (the day after the last night) after start, at"
        " most 366 nights; 409 naming the accepted or paid stay, or your block, that holds some of them. Requests"
        " waiting for any of them are declined (end_reason dates_blocked)",
        tag="listings",
        status=201,
        path_params=LISTING_ID,
        errors=("not_found", "conflict"),
    ),
    Route(
        method="GET",
        path="/listings/{id}/blocked-dates",
        subject=subjects.LIST_BLOCKED_DATES,
        request=listings_contracts.BlockedDatesList,
        reply=listings_contracts.BlockedDatesPage,
        summary="The nights you blocked in your room, not yet over, earliest first (the host only)",
        tag="listings",
        path_params=LISTING_ID,
        errors=("not_found",),
    ),
    Route(
        method="DELETE",
        path="/listings/{id}/blocked-dates/{block_id}",
        subject=subjects.UNBLOCK_DATES,
        request=listings_contracts.BlockedDatesId,
        reply=Ok,
        summary="Give blocked nights back to your room",
        tag="listings",
        path_params={"id": "listing_id", "block_id": "block_id"},
        errors=("not_found",),
    ),
    Route(
        method="GET",
        path="/listings/{id}/reviews",
        subject=subjects.LIST_REVIEWS,
        request=listings_contracts.ListingReviews,
        reply=listings_contracts.ReviewPage,
        auth="optional",
        summary="What guests wrote about a listing after their stays, newest first",
        tag="listings",
        path_params=LISTING_ID,
        errors=("not_found",),
    ),
    Route(
        method="GET",
        path="/users/{id}/reviews",
        subject=subjects.LIST_USER_REVIEWS,
        request=listings_contracts.UserReviews,
        reply=listings_contracts.UserReviewPage,
        auth="optional",
        summary="What others wrote of a user after their stays, newest first, and the averages:"
        " as a host (every room they listed, archived ones included) and as a guest",
        tag="listings",
        path_params=USER_ID,
        errors=("not_found",),
    ),
    Route(
        method="GET",
        path="/me/listings",
        subject=subjects.MY_LISTINGS,
        request=listings_contracts.MyListings,
        reply=listings_contracts.ListingPage,
        summary="Your listings, drafts included",
        tag="listings",
    ),
]
