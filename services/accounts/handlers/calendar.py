"""The private calendar feed: its link (shown in settings, rotated on demand) and the
feed itself, built from the stays listings holds and the rotations matching holds."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from services.accounts.domain import calendar
from services.accounts.store import lifecycle as lstore
from shared import bus, clock, subjects
from shared.contracts.base import Actor, Empty
from shared.contracts.calendar import CalendarFeed, CalendarFeedRequest, CalendarLink, CalendarRotations, CalendarStays
from shared.contracts.mentoring import CalendarMeetings
from shared.errors import AppError
from shared.service import Context, Registry

registry = Registry()

NO_FEED = AppError("not_found", "no such calendar (the link may have been replaced)")


@registry.endpoint(subjects.GET_CALENDAR_LINK, Empty)
async def get_calendar_link(ctx: Context, req: Empty) -> CalendarLink:
    actor = ctx.require_actor()
    generation = await lstore.calendar_generation(ctx.pool, actor.user_id)
    token = calendar.feed_token(ctx.settings.secret_key, actor.user_id, generation or 1)
    return CalendarLink(url=calendar.feed_url(ctx.settings.public_url, token))


@registry.endpoint(subjects.ROTATE_CALENDAR_LINK, Empty)
async def rotate_calendar_link(ctx: Context, req: Empty) -> CalendarLink:
    actor = ctx.require_actor()
    generation = await lstore.next_calendar_generation(ctx.pool, actor.user_id)
    token = calendar.feed_token(ctx.settings.secret_key, actor.user_id, generation)
    return CalendarLink(url=calendar.feed_url(ctx.settings.public_url, token))


@registry.endpoint(subjects.CALENDAR_FEED, CalendarFeedRequest)
async def calendar_feed(ctx: Context, req: CalendarFeedRequest) -> CalendarFeed:
    """The feed of the token's owner; any other token, an old one included, is a 404."""
    s = ctx.settings
    try:
        user_id, generation = calendar.read_feed_token(s.secret_key, req.token, clock.now(s))
    except (AppError, KeyError, ValueError):
        raise NO_FEED from None
    user = await lstore.contact(ctx.pool, user_id)
    if user is None or await lstore.calendar_generation(ctx.pool, user_id) != generation:
        raise NO_FEED
    actor = Actor(user_id=user_id, role=user["role"], email_verified=True)
    (stays, rotations), meetings = await asyncio.gather(
        fetch_schedule(ctx, actor),
        # Matching's query for calendars (not a REST route): the feed's token decided who reads.
        bus.request(
            ctx.nc, subjects.USER_MEETINGS, {"user_id": str(user_id)}, CalendarMeetings, timeout=s.request_timeout_s
        ),
    )
    people = {m.other_id for m in meetings.items} | {s.other_id for s in stays.items if s.other_id is not None}
    names = await lstore.display_names(ctx.pool, sorted(people))
    ics = calendar.feed(stays.items, rotations.items, s.public_url, datetime.now(UTC), meetings.items, names)
    return CalendarFeed(ics=ics.decode())


async def fetch_schedule(ctx: Context, actor: Actor) -> tuple[CalendarStays, CalendarRotations]:
    """The user's stays (listings) and rotations (matching), asked as the user."""
    timeout = ctx.settings.request_timeout_s
    stays, rotations = await asyncio.gather(
        bus.request(ctx.nc, subjects.CALENDAR_STAYS, {}, CalendarStays, actor=actor, timeout=timeout),
        bus.request(ctx.nc, subjects.CALENDAR_ROTATIONS, {}, CalendarRotations, actor=actor, timeout=timeout),
    )
    return stays, rotations
