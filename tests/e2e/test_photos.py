"""Listing photos through the gateway: upload (claim check), serving, order, and bad input.

Every refusal is a 4xx JSON error that leaves nothing behind: no photo row, no file,
no temporary upload.
"""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PIL import Image
from yarl import URL

from services.runner import Stack
from shared.mailsink import Mailbox
from tests import samples
from tests.api import PASSWORD, Api, User, link_token, random_email
from tests.e2e.helpers import create_listing, held_at_insert, listing_body, upload
from tests.eventually import eventually


def storage_root(stack: Stack) -> Path:
    return stack.data_dir / "storage"


def temporary_uploads(stack: Stack) -> list[Path]:
    tmp = storage_root(stack) / "tmp"
    return [p for p in tmp.iterdir() if not p.name.startswith(".")] if tmp.exists() else []


@pytest.fixture
async def host(api: Api) -> User:
    return await api.signup("professional", "Dr. Host")


async def test_photo_upload_serve_order_and_delete(api: Api, host: User) -> None:
    """A host uploads photos with alt text; they are served as immutable WebPs without
    EXIF, reorder moves the cover in search, and texts change and photos delete."""
    listing = await create_listing(api, host)
    first = await upload(api, host, listing["id"], samples.gps_jpeg(width=1600, height=1200))
    assert first.status == 201, first.body
    assert first.body["alt_text"] == "A bright room with a desk by the window"
    assert set(first.body["urls"]) == {"320", "1024", "2048"}
    assert first.body["width"] == 1600 and first.body["position"] == 0
    second = await upload(api, host, listing["id"], samples.png(), alt_text="The kitchen", filename="kitchen.png")
    assert second.status == 201, second.body

    # Served from the gateway: immutable, hashed, never sniffed, and no EXIF (no GPS).
    assert api.http
    url = first.body["urls"]["1024"]
    async with api.http.get(api.base + url) as r:
        assert r.status == 200
        body = await r.read()
        assert r.headers["Content-Type"] == "image/webp"
        assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        etag = r.headers["ETag"]
        assert etag.strip('"') in url
    image = Image.open(io.BytesIO(body))
    assert image.format == "WEBP" and image.width == 1024 and not image.getexif()
    assert b"Exif" not in body and b"Wardmate Test Camera" not in body
    async with api.http.get(api.base + url, headers={"If-None-Match": etag}) as r:
        assert r.status == 304
    async with api.http.get(api.base + "/media/photos/..%2f..%2fetc%2fpasswd") as r:
        assert r.status == 404

    got = await api.call("GET", f"/listings/{listing['id']}")
    assert [p["alt_text"] for p in got.body["photos"]] == ["A bright room with a desk by the window", "The kitchen"]
    assert got.body["photo_count"] == 2 and got.body["cover"]["url"] == first.body["urls"]["320"]

    order = [second.body["id"], first.body["id"]]
    moved = await api.call("PUT", f"/listings/{listing['id']}/photo-order", host, json={"photo_ids": order})
    assert moved.status == 200, moved.body
    assert [p["id"] for p in moved.body["items"]] == order
    bad_order = await api.call("PUT", f"/listings/{listing['id']}/photo-order", host, json={"photo_ids": order[:1]})
    assert bad_order.status == 400 and bad_order.body["error"]["details"] == [
        {"field": "photo_ids", "message": "Expected each of its 2 photos, once."}
    ], bad_order.body

    lat, lon = listing["location"]["latitude"], listing["location"]["longitude"]
    found = await api.call("GET", "/listings", params={"near": f"{lat},{lon}", "radius_km": 1, "limit": 100})
    card = next(i for i in found.body["items"] if i["id"] == listing["id"])
    assert card["photo_count"] == 2
    assert card["cover"]["url"] == second.body["urls"]["320"] and card["cover"]["alt_text"] == "The kitchen"
    assert card["cover"]["color"].startswith("#")

    changed = await api.call(
        "PATCH", f"/listings/{listing['id']}/photos/{first.body['id']}", host, json={"caption": "Morning light"}
    )
    assert changed.status == 200 and changed.body["caption"] == "Morning light"
    gone = await api.call("DELETE", f"/listings/{listing['id']}/photos/{second.body['id']}", host)
    assert gone.status == 200
    after = await api.call("GET", f"/listings/{listing['id']}")
    assert [p["id"] for p in after.body["photos"]] == [first.body["id"]]
    assert after.body["photos"][0]["position"] == 0 and after.body["cover"]["url"] == first.body["urls"]["320"]
    async with api.http.get(api.base + second.body["urls"]["320"]) as r:
        assert r.status == 404  # its files went with it


def missing_files(stack: Stack, photo: dict[str, Any]) -> list[str]:
    """The photo's variants whose file is not in the store."""
    root = storage_root(stack)
    return [url for url in photo["urls"].values() if not (root / url.removeprefix("/media/")).is_file()]


async def test_archiving_deletes_the_photos(api: Api, host: User, stack: Stack) -> None:
    """Archiving a listing (its DELETE: never shown again, its host included, and never
    restored) deletes its photos, rows and files; a file another listing's photo shares
    stays, and the archived listing shows no photos under /me/listings."""
    listing, other = await create_listing(api, host), await create_listing(api, host)
    own = await upload(api, host, listing["id"], samples.jpeg(color=(150, 20, 90)))
    shared = samples.jpeg(color=(20, 150, 90))
    mine_too, kept = await upload(api, host, listing["id"], shared), await upload(api, host, other["id"], shared)
    assert {own.status, mine_too.status, kept.status} == {201}
    assert not missing_files(stack, own.body)

    assert (await api.call("DELETE", f"/listings/{listing['id']}", host)).status == 200
    assert missing_files(stack, own.body) == list(own.body["urls"].values())
    assert api.http
    async with api.http.get(api.base + own.body["urls"]["320"]) as r:
        assert r.status == 404
    assert not missing_files(stack, kept.body)
    got = await api.call("GET", f"/listings/{other['id']}")
    assert [p["id"] for p in got.body["photos"]] == [kept.body["id"]]
    mine = await api.call("GET", "/me/listings", host, params={"limit": 100})
    archived = next(item for item in mine.body["items"] if item["id"] == listing["id"])
    assert archived["status"] == "archived" and archived["photo_count"] == 0 and archived["cover"] is None


def file_id(path: Path) -> tuple[int, int] | None:
    """Which file is at ``path`` (a rewrite renames a new one into place), or None."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns


RACE_ROUNDS = 20


async def test_a_photo_deleted_while_its_image_is_uploaded_again_keeps_the_new_files(
    api: Api, host: User, stack: Stack
) -> None:
    """A photo deleted while the same image is uploaded again (the same files, named by
    their content) to another listing never takes the new photo's files: each round
    deletes the old photo the moment the upload writes the files again. (To the same
    listing, the upload is answered with the photo it has and writes nothing, or comes
    after the deletion: the two take the listing's lock.)"""
    listings = [await create_listing(api, host) for _ in range(2)]
    image = samples.jpeg(width=900, height=600, color=(33, 66, 99))
    current = await upload(api, host, listings[0]["id"], image)
    assert current.status == 201, current.body
    where = listings[0]["id"]
    small = storage_root(stack) / current.body["urls"]["320"].removeprefix("/media/")
    lost = []
    for round_ in range(RACE_ROUNDS):
        old_path, before = f"/listings/{where}/photos/{current.body['id']}", file_id(small)

        async def delete_on_write(path: str = old_path, before: tuple[int, int] | None = before) -> Any:
            await eventually(lambda: file_id(small) != before, 30, interval=0.001, what="the upload's write")
            return await api.call("DELETE", path, host)

        where = listings[(round_ + 1) % 2]["id"]
        again, gone = await asyncio.gather(upload(api, host, where, image), delete_on_write())
        assert again.status == 201 and gone.status == 200, (again.body, gone.body)
        if missing_files(stack, again.body):
            lost.append(round_)
        current = again
    assert not lost, f"rounds {lost} of {RACE_ROUNDS} left a photo without its files"
    for listing in listings:
        for photo in (await api.call("GET", f"/listings/{listing['id']}")).body["photos"]:
            assert not missing_files(stack, photo), photo


async def test_replace_keeps_the_place(api: Api, host: User) -> None:
    """Replacing a photo gives it new pixels and texts in the same place in the order."""
    listing = await create_listing(api, host)
    first = await upload(api, host, listing["id"], samples.jpeg(color=(10, 10, 10)))
    await upload(api, host, listing["id"], samples.png())
    replaced = await upload(
        api,
        host,
        listing["id"],
        samples.jpeg(color=(250, 250, 250)),
        alt_text="The room after painting",
        extra={"replaces": first.body["id"]},
    )
    assert replaced.status == 201, replaced.body
    assert replaced.body["id"] == first.body["id"] and replaced.body["position"] == 0
    assert replaced.body["urls"] != first.body["urls"] and replaced.body["color"] == "#fafafa"
    got = await api.call("GET", f"/listings/{listing['id']}")
    assert got.body["photo_count"] == 2


BAD_FILES = {
    "html named .jpg": samples.HTML_AS_JPEG,
    "svg named .jpg": samples.SVG_AS_JPEG,
    "gif/javascript polyglot": samples.GIF_JS_POLYGLOT,
    "truncated jpeg": samples.truncated_jpeg(),
    "decompression bomb": samples.png_bomb(),
    "pdf": samples.pdf(),
    # Whole images, but too small to show a room (a 24 x 16 one was taken), either way round.
    "thumbnail": samples.jpeg(120, 90),
    "narrow strip": samples.png(1200, 200),
    "portrait too narrow": samples.jpeg(200, 400),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
async def test_bad_files_are_refused_and_nothing_is_kept(api: Api, host: User, stack: Stack, name: str) -> None:
    """What is not a whole image of a taken format is a 400 that stores nothing."""
    listing = await create_listing(api, host)
    photos_before = set((storage_root(stack) / "photos").glob("*"))
    refused = await upload(api, host, listing["id"], BAD_FILES[name])
    assert refused.status == 400, refused.body
    assert refused.error_code == "validation" and refused.body["error"]["details"][0]["field"] == "file"
    if name == "thumbnail":
        assert refused.body["error"]["details"][0]["message"] == (
            "The photo is 120 × 90 pixels: a room's photo needs at least 320 × 240 (or 240 × 320)."
        ), refused.body
    got = await api.call("GET", f"/listings/{listing['id']}")
    assert got.body["photos"] == [] and got.body["photo_count"] == 0
    assert set((storage_root(stack) / "photos").glob("*")) == photos_before
    await eventually(lambda: not temporary_uploads(stack), what="the temporary upload to be deleted")


async def test_polyglot_jpeg_is_served_as_a_clean_webp(api: Api, host: User) -> None:
    """A real JPEG with an HTML page appended is taken as the JPEG; the page is gone."""
    listing = await create_listing(api, host)
    taken = await upload(api, host, listing["id"], samples.html_jpeg_polyglot())
    assert taken.status == 201, taken.body
    assert api.http
    async with api.http.get(api.base + taken.body["urls"]["320"]) as r:
        assert b"<script" not in await r.read() and r.headers["Content-Type"] == "image/webp"


@pytest.mark.parametrize(
    "filename", [b"../../etc/passwd.jpg", b"..\\..\\boot.ini", b"room\x01\x7f.jpg", b"x\x00.jpg", b"a/b.jpg"]
)
async def test_hostile_file_names_are_refused(api: Api, host: User, stack: Stack, filename: bytes) -> None:
    """A file name with a path or control characters is refused (names are never used as paths)."""
    listing = await create_listing(api, host)
    # Written by hand: aiohttp's client refuses to send such names itself.
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="alt_text"\r\n\r\nThe room\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="' + filename + b'"\r\n'
        b"Content-Type: image/jpeg\r\n\r\n" + samples.jpeg() + b"\r\n--XyZ--\r\n"
    )
    headers = {"Authorization": f"Bearer {host.token}", "Content-Type": "multipart/form-data; boundary=XyZ"}
    assert api.http
    async with api.http.post(f"{api.base}/api/v1/listings/{listing['id']}/photos", data=body, headers=headers) as r:
        assert r.status == 400, await r.text()
        assert (await r.json())["error"]["details"][0]["field"] == "file"
    assert not temporary_uploads(stack)
    assert (await api.call("GET", f"/listings/{listing['id']}")).body["photo_count"] == 0


async def test_missing_alt_text_is_refused(api: Api, host: User, stack: Stack) -> None:
    """Alt text is required (screen readers): missing, "Required." (it said "Write at least
    3 characters."); sent twice, "send alt_text once" (it said "unexpected part")."""
    listing = await create_listing(api, host)
    for alt, said in ((None, "Required."), ("  ", "Write at least 3 characters.")):
        refused = await upload(api, host, listing["id"], samples.jpeg(), alt_text=alt)
        assert refused.status == 400 and refused.body["error"]["details"] == [{"field": "alt_text", "message": said}], (
            refused.body
        )
    twice = await upload(api, host, listing["id"], samples.jpeg(), extra={"alt_text": "The room again"})
    assert twice.status == 400 and twice.body["error"]["details"] == [
        {"field": "alt_text", "message": "Send alt_text once."}
    ], twice.body
    await eventually(lambda: not temporary_uploads(stack), what="the temporary upload to be deleted")


async def test_oversize_upload_is_refused_while_streaming(api: Api, host: User, stack: Stack) -> None:
    """A file over 15 MB is refused once the limit is passed, without reading the rest;
    a declared length over it is refused before any byte is read."""
    listing = await create_listing(api, host)
    sent = 0
    total = 200 * 1024 * 1024

    async def endless() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'--XyZ\r\nContent-Disposition: form-data; name="alt_text"\r\n\r\nA big one\r\n'
        yield b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\n'
        yield b"Content-Type: image/jpeg\r\n\r\n"
        chunk = b"\xff" * (256 * 1024)
        while sent < total:
            sent += len(chunk)
            yield chunk
        yield b"\r\n--XyZ--\r\n"

    assert api.http
    headers = {"Authorization": f"Bearer {host.token}", "Content-Type": "multipart/form-data; boundary=XyZ"}
    try:
        async with api.http.post(
            f"{api.base}/api/v1/listings/{listing['id']}/photos", data=endless(), headers=headers
        ) as r:
            assert r.status == 413
            error = (await r.json())["error"]
            # Beside the file field, as the upload's other refusals are (details were null).
            assert error["code"] == "payload_too_large" and error["details"] == [
                {"field": "file", "message": "A file is at most 15 MB."}
            ], error
    except aiohttp.ClientError:
        pass  # the server may close while the client still writes; what counts is below
    assert sent < 64 * 1024 * 1024, f"the gateway read {sent} bytes"
    assert not temporary_uploads(stack)

    declared = {**headers, "Content-Length": str(total)}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{api.base}/api/v1/listings/{listing['id']}/photos", data=b"", headers=declared) as r:
            assert r.status == 413
            # Beside the file too (a browser declares the length: its details were null).
            assert (await r.json())["error"]["details"] == [{"field": "file", "message": "A file is at most 15 MB."}]


async def test_too_many_photos(api: Api, host: User, stack: Stack) -> None:
    """A listing holds 20 photos; the 21st upload is refused and leaves nothing, while the
    20th sent again (a retry of the upload that filled the listing) is answered with it."""
    listing = await create_listing(api, host)
    for n in range(20):
        ok = await upload(api, host, listing["id"], samples.png(320 + n, 240))
        assert ok.status == 201, ok.body
    photos_before = set((storage_root(stack) / "photos").glob("*"))
    refused = await upload(api, host, listing["id"], samples.png(320 + 20, 240))
    assert refused.status == 409 and "at most 20" in refused.body["error"]["message"]
    retried = await upload(api, host, listing["id"], samples.png(320 + 19, 240))
    assert retried.status == 201 and retried.body["id"] == ok.body["id"], retried.body
    got = await api.call("GET", f"/listings/{listing['id']}")
    assert got.body["photo_count"] == 20
    assert set((storage_root(stack) / "photos").glob("*")) == photos_before
    await eventually(lambda: not temporary_uploads(stack), what="the temporary upload to be deleted")


async def test_the_same_photo_at_once_or_again_is_one_photo(api: Api, host: User, stack: Stack) -> None:
    """The same image sent four times at once to a listing, each copy past its check
    before any inserts, is one photo, answered to each (201); sent again later it is that
    photo too and changes nothing; with other texts it is a 409 naming it; another image,
    or the same one on another listing, is a photo of its own."""
    listing, other = await create_listing(api, host), await create_listing(api, host)
    # Small: the copies wait at the lock until the last is processed, by one niced worker,
    # and on a saturated machine (CI beside three other test runs) a first copy passed the
    # gateway's 60 s upload timeout while 700 x 500 ones were processed (the smallest a
    # photo may be, 320 x 240: ~7 ms each, not 30-48).
    image = samples.jpeg(width=320, height=240, color=(90, 140, 30))
    sent = await held_at_insert(
        stack, "listings.listing_photos", [upload(api, host, listing["id"], image) for _ in range(4)]
    )
    assert [r.status for r in sent] == [201] * 4, [r.body for r in sent]
    assert len({r.body["id"] for r in sent}) == 1, [r.body for r in sent]
    photo_id = sent[0].body["id"]
    got = await api.call("GET", f"/listings/{listing['id']}")
    assert [p["id"] for p in got.body["photos"]] == [photo_id] and got.body["photo_count"] == 1

    again = await upload(api, host, listing["id"], image)
    assert again.status == 201 and again.body == sent[0].body, again.body
    unchanged = await api.call("GET", f"/listings/{listing['id']}")
    assert unchanged.body["updated_at"] == got.body["updated_at"] and unchanged.body["photo_count"] == 1
    retexted = await upload(api, host, listing["id"], image, alt_text="The same room, said otherwise")
    assert retexted.status == 409 and retexted.body["error"]["details"] == {"id": photo_id}, retexted.body

    elsewhere = await upload(api, host, other["id"], image)
    another = await upload(api, host, listing["id"], samples.jpeg(width=700, height=500, color=(30, 90, 140)))
    assert elsewhere.status == another.status == 201
    assert len({photo_id, elsewhere.body["id"], another.body["id"]}) == 3
    got = await api.call("GET", f"/listings/{listing['id']}")
    assert [p["id"] for p in got.body["photos"]] == [photo_id, another.body["id"]] and got.body["photo_count"] == 2
    await eventually(lambda: not temporary_uploads(stack), what="the temporary uploads to be deleted")


async def test_other_hosts_listing_is_404(api: Api, host: User, stack: Stack) -> None:
    """Uploading to or changing another host's listing, active or draft, answers 404."""
    active = await create_listing(api, host)
    draft = await create_listing(api, host, status="draft")
    mine = await upload(api, host, active["id"], samples.jpeg())
    other = await api.signup("professional", "Dr. Other")
    student = await api.signup("student", "Stu")
    for intruder in (other, student):
        for target in (active["id"], draft["id"], str(uuid.uuid4())):
            refused = await upload(api, intruder, target, samples.jpeg())
            assert refused.status == 404, refused.body
        photo_path = f"/listings/{active['id']}/photos/{mine.body['id']}"
        assert (await api.call("PATCH", photo_path, intruder, json={"caption": "x"})).status == 404
        assert (await api.call("DELETE", photo_path, intruder)).status == 404
        order = {"photo_ids": [mine.body["id"]]}
        assert (await api.call("PUT", f"/listings/{active['id']}/photo-order", intruder, json=order)).status == 404
    assert (await upload(api, None, active["id"], samples.jpeg())).status == 401
    got = await api.call("GET", f"/listings/{active['id']}")
    assert got.body["photo_count"] == 1
    await eventually(lambda: not temporary_uploads(stack), what="the temporary uploads to be deleted")


async def test_browser_upload_needs_the_csrf_header(stack: Stack) -> None:
    """A cookie session's upload without the CSRF header is 403; with it, 201."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.post(
            f"{stack.url}/api/v1/auth/signup",
            json={"email": random_email(), "password": PASSWORD, "display_name": "H", "role": "professional"},
        ) as r:
            assert r.status == 201
            email = (await r.json())["user"]["email"]
        csrf = http.cookie_jar.filter_cookies(URL(stack.url))["wardmate_csrf"].value
        # Posting a room needs a confirmed address: follow the mailed link, as a host would.
        [mail] = await Mailbox(stack.mail_dir).wait_for(email, lambda m: "Confirm your email address" in m.subject)
        token = link_token(mail.link("verify-email"))
        async with http.post(
            f"{stack.url}/api/v1/auth/verify-email", json={"token": token}, headers={"X-CSRF-Token": csrf}
        ) as r:
            assert r.status == 200
        body = listing_body()
        async with http.post(f"{stack.url}/api/v1/listings", json=body, headers={"X-CSRF-Token": csrf}) as r:
            assert r.status == 201
            listing_id = (await r.json())["id"]

        def form() -> aiohttp.FormData:
            data = aiohttp.FormData()
            data.add_field("alt_text", "The room")
            data.add_field("file", samples.jpeg(), filename="room.jpg", content_type="image/jpeg")
            return data

        url = f"{stack.url}/api/v1/listings/{listing_id}/photos"
        async with http.post(url, data=form()) as r:
            assert r.status == 403 and (await r.json())["error"]["code"] == "forbidden"
        async with http.post(url, data=form(), headers={"X-CSRF-Token": csrf}) as r:
            assert r.status == 201
    assert not temporary_uploads(stack)
