"""Endpoints for a listing's photos: take an upload (claim check), change texts, reorder, delete.

Only the listing's host sees that these endpoints act on anything: anyone else, on any
listing, gets 404 (a photo upload must not tell who owns what).
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.listings import domain, files, store
from services.listings.store import photos as photo_store
from services.listings.views import LISTING_NOT_FOUND, cover_of, listing_data, to_photo
from shared import subjects
from shared.contracts.base import Actor, Ok
from shared.contracts.photos import Photo, PhotoAdd, PhotoId, PhotoOrder, Photos, PhotoUpdate
from shared.db import Connection
from shared.errors import AppError
from shared.images import ImageRefusedError, ProcessedImage
from shared.media import media
from shared.outbox import add
from shared.service import Context, Registry
from shared.storage import ObjectMissingError

registry = Registry()

PHOTO_NOT_FOUND = AppError("not_found", "photo not found")


async def _host_listing(conn: Connection, actor: Actor, listing_id: uuid.UUID) -> asyncpg.Record:
    """The caller's own listing, locked; 404 for anyone else's and for an archived one."""
    row = await store.listing(conn, listing_id, for_update=True)
    if row is None or row["host_id"] != actor.user_id or row["status"] == "archived":
        raise LISTING_NOT_FOUND
    return row


async def _photos_changed(conn: Connection, before: asyncpg.Record) -> list[asyncpg.Record]:
    """Store the listing's new count and cover and publish the change; the photos in order."""
    rows = await photo_store.photos(conn, before["id"])
    await photo_store.refresh_listing(conn, before["id"], cover_of(rows[0]) if rows else None, len(rows))
    after = await store.listing(conn, before["id"])
    assert after is not None
    event = domain.listing_event(before["status"], listing_data(after), changed=True)
    if event is not None:
        await add(conn, event)
    return rows


def _variants_of(processed: ProcessedImage) -> dict[str, Any]:
    """Each variant's key (its content hash) and size, by width."""
    return {
        str(width): {"key": f"photos/{variant.digest}.webp", "width": variant.width, "height": variant.height}
        for width, variant in processed.variants.items()
    }


async def _store_variants(processed: ProcessedImage, variants: dict[str, Any]) -> None:
    """Write each variant under its key (rewriting an existing one is harmless)."""
    for width, variant in processed.variants.items():
        await media().storage.put(variants[str(width)]["key"], variant.data, "image/webp")


@registry.endpoint(subjects.ADD_PHOTO, PhotoAdd)
async def add_photo(ctx: Context, req: PhotoAdd) -> Photo:
    """Take the upload under ``upload_key``: decode, strip, re-encode, record; the upload
    is deleted whatever the outcome."""
    actor = ctx.require_actor()
    limit = ctx.settings.photos_per_listing
    try:
        # Refuse early (someone else's listing, an unknown photo to replace) before spending
        # a second of CPU. Not a full listing: the upload may be a retry of its last photo,
        # answered with that photo once its files are known (the web client offers no
        # upload at the limit, so only such a retry or a stale tab gets this far).
        async with ctx.pool.acquire() as conn, conn.transaction():
            await _host_listing(conn, actor, req.listing_id)
            if req.replaces and await photo_store.photo(conn, req.listing_id, req.replaces) is None:
                raise PHOTO_NOT_FOUND
        try:
            data = await media().storage.get(req.upload_key)
        except ObjectMissingError:
            raise AppError("validation", "no such upload", [{"field": "upload_key", "message": "unknown"}]) from None
        try:
            processed = await media().images.process(data, ctx.settings.image_max_pixels)
        except ImageRefusedError as exc:
            raise AppError("validation", str(exc), [{"field": "file", "message": str(exc)}]) from None
        del data
        domain.check_photo_size(processed.width, processed.height)
        variants = _variants_of(processed)
        fields = {
            "alt_text": req.alt_text,
            "caption": req.caption,
            "width": processed.width,
            "height": processed.height,
            "color": processed.color,
            "variants": variants,
        }
        queued: list[str] = []
        async with ctx.pool.acquire() as conn, conn.transaction():
            before = await _host_listing(conn, actor, req.listing_id)
            old = await photo_store.photo(conn, req.listing_id, req.replaces) if req.replaces else None
            if req.replaces and old is None:
                raise PHOTO_NOT_FOUND
            if old is None:
                # The same image again (a retry, a double click, a second tab) is the photo
                # the listing has: no second place in the gallery, no event. Under the
                # listing's lock, so copies sent at once find the first one's row.
                same = await photo_store.same_photo(conn, req.listing_id, variants)
                if same is not None:
                    domain.repeated_photo(same, req.alt_text, req.caption)
                    return to_photo(same)
            # Under the listing's lock: two uploads at once must not pass the limit together.
            domain.check_photo_room(await photo_store.count(conn, req.listing_id), limit, old is not None)
            # The files are written under their lock, held until the row is committed: a
            # photo with the same files deleted meanwhile either sees this row and keeps
            # them, or deletes them before this writes them again. Written before, outside
            # it, they were deleted under a row committed a moment later.
            await photo_store.lock_files(conn, variants["320"]["key"])
            await _store_variants(processed, variants)
            if old is not None:
                row = await photo_store.replace_photo(conn, old["id"], fields)
                if old["variants"] != variants:
                    queued = await photo_store.queue_unused(conn, [old["variants"]])
            else:
                row = await photo_store.insert_photo(conn, req.listing_id, fields)
            await _photos_changed(conn, before)
        # What fails here stays queued for the sweep.
        await files.delete_unused(ctx.pool, media().storage, queued)
        return to_photo(row)
    finally:
        await media().storage.delete(req.upload_key)


@registry.endpoint(subjects.UPDATE_PHOTO, PhotoUpdate)
async def update_photo(ctx: Context, req: PhotoUpdate) -> Photo:
    actor = ctx.require_actor()
    changes = req.model_dump(exclude_unset=True, exclude={"listing_id", "photo_id"})
    async with ctx.pool.acquire() as conn, conn.transaction():
        before = await _host_listing(conn, actor, req.listing_id)
        if await photo_store.photo(conn, req.listing_id, req.photo_id) is None:
            raise PHOTO_NOT_FOUND
        await photo_store.update_texts(conn, req.photo_id, changes)
        # The cover carries its alt text: the listing changes with it.
        rows = await _photos_changed(conn, before)
    return to_photo(next(r for r in rows if r["id"] == req.photo_id))


@registry.endpoint(subjects.ORDER_PHOTOS, PhotoOrder)
async def order_photos(ctx: Context, req: PhotoOrder) -> Photos:
    actor = ctx.require_actor()
    async with ctx.pool.acquire() as conn, conn.transaction():
        before = await _host_listing(conn, actor, req.listing_id)
        current = [r["id"] for r in await photo_store.photos(conn, req.listing_id)]
        domain.check_photo_order(current, req.photo_ids)
        await photo_store.set_order(conn, req.listing_id, req.photo_ids)
        rows = await _photos_changed(conn, before)
    return Photos(items=[to_photo(r) for r in rows])


@registry.endpoint(subjects.DELETE_PHOTO, PhotoId)
async def delete_photo(ctx: Context, req: PhotoId) -> Ok:
    actor = ctx.require_actor()
    async with ctx.pool.acquire() as conn, conn.transaction():
        before = await _host_listing(conn, actor, req.listing_id)
        old = await photo_store.photo(conn, req.listing_id, req.photo_id)
        if old is None:
            raise PHOTO_NOT_FOUND
        await photo_store.delete_photo(conn, req.photo_id)
        queued = await photo_store.queue_unused(conn, [old["variants"]])
        await photo_store.renumber(conn, req.listing_id)
        await _photos_changed(conn, before)
    await files.delete_unused(ctx.pool, media().storage, queued)
    return Ok()
