"""Endpoints for notifications: list mine (all or unread), mark them read."""

from __future__ import annotations

from services.messaging import delivery, store, views
from services.messaging.store import notifications as notification_store
from shared import subjects
from shared.contracts.messaging import NotificationList, NotificationPage, NotificationsRead, UnreadCounts
from shared.errors import AppError
from shared.paging import decode_newest_first, next_page
from shared.service import Context, Registry

registry = Registry()


@registry.endpoint(subjects.LIST_NOTIFICATIONS, NotificationList)
async def list_notifications(ctx: Context, req: NotificationList) -> NotificationPage:
    actor = ctx.require_actor()
    rows = await notification_store.notifications(
        ctx.pool, actor.user_id, req.unread, decode_newest_first(req.cursor), req.limit + 1
    )
    page, nxt = next_page(rows, req.limit, key=lambda row: (row["created_at"], row["id"]))
    items = [views.to_notification(row) for row in page]
    return NotificationPage(items=items, next_cursor=nxt)


@registry.endpoint(subjects.READ_NOTIFICATIONS, NotificationsRead)
async def read_notifications(ctx: Context, req: NotificationsRead) -> UnreadCounts:
    actor = ctx.require_actor()
    async with delivery.transaction(ctx.pool, ctx.nc) as (conn, pushes):
        up_to = None
        if req.up_to is not None:
            up_to = await notification_store.notification_key(conn, actor.user_id, req.up_to)
            if up_to is None:
                raise AppError("not_found", "notification not found")
        changed = await notification_store.read_notifications(conn, actor.user_id, up_to)
        counts = views.to_unread(await store.unread_counts(conn, actor.user_id))
        if changed:
            pushes.add(actor.user_id, "unread", counts)
    return counts
