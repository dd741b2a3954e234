"""Uploads and media: multipart bodies streamed to object storage (never held whole in
memory), then handed to the owning service by key over NATS (the claim check); public
photos served with immutable caching.

An upload is ``multipart/form-data`` with one part named ``file`` and a few short text
parts. The file is written under ``tmp/<uuid>`` as it arrives and refused the moment it
passes ``upload_max_bytes``; the client's file name is checked and then ignored (keys are
made here, never from names). Whatever happens, the temporary object is deleted once the
service answered (the service deletes it too; a sweep catches a gateway that died).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, hdrs, web
from aiohttp.http_exceptions import HttpProcessingError

from services.gateway import auth
from services.gateway.keys import LIMITER, NC, SESSIONS, SETTINGS, STORAGE, UPLOAD_LIMITER
from shared import bus, subjects
from shared.contracts.base import Actor
from shared.contracts.documents import DocumentAccess
from shared.errors import AppError
from shared.settings import Settings
from shared.storage import (
    IMMUTABLE,
    ObjectMissingError,
    Storage,
    TooLargeError,
    content_disposition,
    open_storage,
    temporary_key,
)

CHUNK_BYTES = 64 * 1024
FIELD_MAX_BYTES = 4096
# Room for the multipart boundaries and the text parts around the file.
ENVELOPE_BYTES = 64 * 1024
# A file name is looked at only to refuse a hostile one; it is never used.
BAD_NAME = re.compile(r"[\x00-\x1f\x7f/\\]|\.\.")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
PHOTO_NAME = re.compile(r"^[0-9a-f]{32}\.webp$")


def _refuse(message: str, field: str = "file") -> AppError:
    return AppError("validation", message, [{"field": field, "message": message}])


async def caller(request: web.Request) -> Actor:
    """The logged-in caller of an upload (cookie sessions must send the CSRF header)."""
    request.app[LIMITER].check(request.remote or "unknown")
    actor = await auth.logged_in(request, request.app[SESSIONS])
    # Per user and replica: decoding photos costs the services seconds of CPU each.
    request.app[UPLOAD_LIMITER].check(str(actor.user_id))
    return actor


async def _chunks(part: BodyPartReader) -> AsyncIterator[bytes]:
    while chunk := await part.read_chunk(CHUNK_BYTES):
        yield chunk


async def _text(part: BodyPartReader, name: str) -> str:
    data = bytearray()
    while chunk := await part.read_chunk(1024):
        data += chunk
        if len(data) > FIELD_MAX_BYTES:
            raise _refuse(f"{name} is too long", name)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise _refuse(f"{name} is not UTF-8 text", name) from None


async def receive_upload(request: web.Request, text_fields: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    """Stream the request's ``file`` part to a temporary key; the key and the text parts.

    The caller must delete the key (``discard``) once done with it.
    """
    settings = request.app[SETTINGS]
    limit = settings.upload_max_bytes
    if request.content_type != "multipart/form-data":
        raise _refuse("send the upload as multipart/form-data with the file in a part named file")
    most = f"a file is at most {limit // (1024 * 1024)} MB"
    # A declared length over the limit is refused before a byte is read, beside the file as
    # the streamed refusal is (its details were null: the page showed it under the form).
    if request.content_length is not None and request.content_length > limit + ENVELOPE_BYTES:
        raise AppError("payload_too_large", most, [{"field": "file", "message": most}])
    try:
        reader = await request.multipart()
    except (ValueError, AssertionError):
        raise _refuse("the body is not valid multipart/form-data") from None
    storage = request.app[STORAGE]
    key: str | None = None
    fields: dict[str, str] = {}
    try:
        while True:
            try:
                part = await reader.next()
            except (ValueError, AssertionError, HttpProcessingError):
                # e.g. control characters in a part's headers (a file name with them)
                raise _refuse("the body is not valid multipart/form-data") from None
            if part is None:
                break
            if not isinstance(part, BodyPartReader):
                raise _refuse("nested multipart bodies are not taken")
            if part.name == "file":
                if key is not None:
                    raise _refuse("send one file per upload")
                disposition = part.headers.get(hdrs.CONTENT_DISPOSITION, "")
                if CONTROL.search(disposition) or (part.filename is not None and BAD_NAME.search(part.filename)):
                    raise _refuse("the file name has path characters or control characters")
                key = temporary_key()
                try:
                    size = await storage.put_stream(key, _chunks(part), "application/octet-stream", limit)
                except TooLargeError:
                    # Beside the file field, as the upload's other refusals are.
                    raise AppError("payload_too_large", most, [{"field": "file", "message": most}]) from None
                if size == 0:
                    raise _refuse("the file is empty")
            elif part.name in text_fields and part.name not in fields:
                fields[part.name] = await _text(part, part.name)
            elif part.name in text_fields:
                # It said "unexpected part 'alt_text'" of a field the upload takes.
                raise _refuse(f"send {part.name} once", part.name)
            else:
                raise _refuse(f"unexpected part {part.name!r}", part.name or "body")
        if key is None:
            raise _refuse("send the file in a part named file")
        return key, fields
    except BaseException:
        if key is not None:
            await discard(storage, key)
        raise


async def discard(storage: Storage, key: str) -> None:
    with contextlib.suppress(Exception):
        await storage.delete(key)


def _path_id(request: web.Request, segment: str) -> str:
    """A path id as the contract reads it (a malformed one gets the contract's 400)."""
    return request.match_info[segment]


async def relay_upload(
    request: web.Request,
    subject: str,
    text_fields: tuple[str, ...],
    payload: Callable[[str, dict[str, str]], dict[str, Any]],
) -> web.Response:
    """Receive an upload, ask ``subject`` to take it, relay the reply (201)."""
    actor = await caller(request)
    key, fields = await receive_upload(request, text_fields)
    settings = request.app[SETTINGS]
    try:
        raw = await bus.request_raw(
            request.app[NC], subject, payload(key, fields), actor=actor, timeout=settings.upload_timeout_s
        )
    finally:
        await discard(request.app[STORAGE], key)
    return web.Response(body=raw, status=201, content_type="application/json")


async def upload_photo(request: web.Request) -> web.Response:
    """POST /listings/{id}/photos: a photo with its alt text (and caption; ``replaces``)."""
    listing_id = _path_id(request, "id")

    def payload(key: str, fields: dict[str, str]) -> dict[str, Any]:
        # A missing alt text is the contract's to name ("Required.").
        return {"listing_id": listing_id, "upload_key": key, **fields}

    return await relay_upload(request, subjects.ADD_PHOTO, ("alt_text", "caption", "replaces"), payload)


async def upload_document(request: web.Request) -> web.Response:
    """POST /me/documents: a verification document (PDF or image) and its kind."""

    def payload(key: str, fields: dict[str, str]) -> dict[str, Any]:
        return {"upload_key": key, "kind": fields.get("kind", "")}

    return await relay_upload(request, subjects.ADD_DOCUMENT, ("kind",), payload)


async def serve_document(request: web.Request) -> web.StreamResponse:
    """GET /documents/{id}/file: for its owner or an operator only (accounts decides; anyone
    else gets 404), always as an attachment, never cached; S3: a presigned URL valid for
    five minutes, issued only after the same check."""
    actor = await caller_for_download(request)
    settings = request.app[SETTINGS]
    access = await bus.request(
        request.app[NC],
        subjects.DOCUMENT_ACCESS,
        {"document_id": request.match_info["id"]},
        DocumentAccess,
        actor=actor,
        timeout=settings.request_timeout_s,
    )
    storage = request.app[STORAGE]
    private = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
    if storage.local_path(access.object_key) is None:
        url = await storage.presigned_url(access.object_key, 300, download_name=access.filename)
        assert url is not None
        raise web.HTTPFound(url, headers=private)
    try:
        body = await storage.get(access.object_key)
    except ObjectMissingError:
        raise AppError("not_found", "document not found") from None
    headers = {**private, "Content-Disposition": content_disposition(access.filename)}
    # A sandbox as well: should a browser ever render it, no script runs.
    headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return web.Response(body=body, content_type=access.content_type, headers=headers)


async def caller_for_download(request: web.Request) -> Actor:
    """The logged-in caller of a GET (no CSRF on reads, no upload rate)."""
    request.app[LIMITER].check(request.remote or "unknown")
    token, _ = auth.credentials(request)
    if token is None:
        raise AppError("unauthorized", "log in first: send a bearer token or the session cookie")
    return await request.app[SESSIONS].resolve(token)


def media_headers(digest: str) -> dict[str, str]:
    return {
        "Cache-Control": IMMUTABLE,
        "ETag": f'"{digest}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": "inline",
    }


async def serve_photo(request: web.Request) -> web.StreamResponse:
    """GET /media/photos/{name}: the file (filesystem store) or a redirect to a presigned
    URL (S3). Names are content hashes, so the bytes under one never change."""
    name = request.match_info["name"]
    if not PHOTO_NAME.fullmatch(name):
        raise AppError("not_found", "no such photo")
    storage = request.app[STORAGE]
    key = f"photos/{name}"
    digest = name.removesuffix(".webp")
    headers = media_headers(digest)
    path = storage.local_path(key)
    if path is None:
        url = await storage.presigned_url(key, 3600)
        assert url is not None
        # The redirect itself may be cached a little; the object carries its own headers.
        raise web.HTTPFound(url, headers={"Cache-Control": "private, max-age=600"})
    if request.headers.get("If-None-Match") == headers["ETag"]:
        return web.Response(status=304, headers=headers)
    try:
        body = await _read(path)
    except FileNotFoundError:
        raise AppError("not_found", "no such photo") from None
    return web.Response(body=body, content_type="image/webp", headers=headers)


async def _read(path: Path) -> bytes:
    data: bytes = await asyncio.to_thread(path.read_bytes)
    return data


def storage_context(settings: Settings) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        async with open_storage(settings) as storage:
            app[STORAGE] = storage
            yield

    return ctx


def add_routes(app: web.Application, api: str) -> None:
    app.router.add_post(api + "/listings/{id}/photos", upload_photo)
    app.router.add_post(api + "/me/documents", upload_document)
    app.router.add_get(api + "/documents/{id}/file", serve_document)
    app.router.add_get("/media/photos/{name}", serve_photo)
