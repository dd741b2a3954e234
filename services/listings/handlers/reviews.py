"""Endpoint for reviews: each side of a completed stay reviews the other once; the guest
of a stay its host cancelled reviews the host."""

from __future__ import annotations

import uuid

import asyncpg

from services.listings import domain, store
from services.listings.store import bookings as booking_store
from services.listings.store import privacy as privacy_store
from services.listings.store import reviews as review_store
from services.listings.views import BOOKING_NOT_FOUND, booking_view, exact_for, listing_data, rating
from shared import bus, clock, hospitals, subjects
from shared.contracts.accounts import PublicProfile, UserIdRequest
from shared.contracts.listings import (
    ListingReviews,
    Review,
    ReviewCreate,
    ReviewData,
    ReviewPage,
    ReviewPosted,
    UserReviewPage,
    UserReviews,
)
from shared.errors import AppError
from shared.outbox import add
from shared.paging import decode_newest_first, next_page
from shared.service import Context, Registry

registry = Registry()


def _review(row: asyncpg.Record) -> Review:
    """A review as stored, its hospital named as people write it (stored as the registry
    shouts it: "THE JOHNS HOPKINS HOSPITAL", which the web client cased and the API did not)."""
    review = Review.model_validate(dict(row))
    if not review.hospital_name:
        return review
    return review.model_copy(update={"hospital_name": hospitals.display_name(review.hospital_name)})


@registry.endpoint(subjects.LIST_REVIEWS, ListingReviews)
async def list_reviews(ctx: Context, req: ListingReviews) -> ReviewPage:
    """What guests wrote about a listing they stayed in (hosts' reviews of guests are not
    about the room); a listing the caller cannot see answers 404."""
    viewer = ctx.actor.user_id if ctx.actor else None
    row, guest = await store.listing_for_viewer(ctx.pool, req.listing_id, viewer, clock.now(ctx.settings))
    exact_for(row, viewer, guest)
    after = decode_newest_first(req.cursor)
    rows = await review_store.listing_reviews(ctx.pool, req.listing_id, after, req.limit + 1)
    page, next_cursor = next_page(rows, req.limit, key=lambda row: (row["created_at"], row["id"]))
    return ReviewPage(items=[_review(row) for row in page], next_cursor=next_cursor)


@registry.endpoint(subjects.LIST_USER_REVIEWS, UserReviews)
async def list_user_reviews(ctx: Context, req: UserReviews) -> UserReviewPage:
    """What others wrote of a user after their stays, with the averages on each side.

    A host's reviews are theirs, not a listing's: an archived room answers 404 with its
    reviews, which a host could otherwise shed by archiving and listing the room anew. A
    guest's, written by their hosts, are what a host deciding a request weighs. A deleted
    account's page is gone, as its profile is."""
    erased = await privacy_store.erased(ctx.pool, req.user_id)
    if erased:
        raise AppError("not_found", "user not found")
    if erased is None:
        # Nobody (a mistyped id read as a user without reviews), or an account whose
        # snapshot is on its way: accounts knows which, and answers 404 for nobody.
        await bus.request(
            ctx.nc,
            subjects.GET_USER,
            UserIdRequest(user_id=req.user_id),
            PublicProfile,
            timeout=ctx.settings.request_timeout_s,
        )
    # Reviewed as a host: written by their guests; as a guest: by their hosts.
    author_role = {"host": "guest", "guest": "host", None: None}[req.role]
    after = decode_newest_first(req.cursor)
    rows = await review_store.user_reviews(ctx.pool, req.user_id, author_role, after, req.limit + 1)
    page, next_cursor = next_page(rows, req.limit, key=lambda row: (row["created_at"], row["id"]))
    ratings = await review_store.user_ratings(ctx.pool, req.user_id)
    return UserReviewPage(
        items=[_review(row) for row in page],
        next_cursor=next_cursor,
        as_host=rating(ratings["host_sum"], ratings["host_count"]),
        as_guest=rating(ratings["guest_sum"], ratings["guest_count"]),
    )


@registry.endpoint(subjects.POST_REVIEW, ReviewCreate)
async def post_review(ctx: Context, req: ReviewCreate) -> Review:
    actor = ctx.require_actor()
    async with ctx.pool.acquire() as conn, conn.transaction():
        found = await booking_store.booking(conn, req.booking_id)
        if found is None:
            raise BOOKING_NOT_FOUND
        # A guest's review changes the listing's average: lock the listing first, in the
        # same order as booking transitions do, so the two never wait on each other.
        await store.lock_listing(conn, found["listing_id"])
        row = await booking_store.booking(conn, req.booking_id, for_update=True)
        assert row is not None
        reviewing = domain.review_roles(booking_view(row), actor, clock.now(ctx.settings))
        hospital_name = hospitals.lookup(row["hospital_id"]).name if row["hospital_id"] else None
        created = await review_store.insert_review(
            conn,
            {
                "id": uuid.uuid4(),
                "booking_id": row["id"],
                "listing_id": row["listing_id"],
                "author_id": actor.user_id,
                "subject_id": reviewing.subject_id,
                "author_role": reviewing.author_role,
                "rating": req.rating,
                "text": req.text,
                "hospital_name": hospital_name,
                "stay_month": row["check_in"].strftime("%Y-%m"),
                "stay_cancelled_by_host": reviewing.stay_cancelled_by_host,
            },
        )
        review = _review(created)
        listing = await store.listing(conn, row["listing_id"])
        assert listing is not None
        data = ReviewData(review_id=review.id, **review.model_dump(exclude={"id", "created_at"}))
        await add(conn, ReviewPosted(review=data, listing=listing_data(listing)))
    return review
