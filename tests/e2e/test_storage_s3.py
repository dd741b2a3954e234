"""The whole system on S3 storage (moto's server, a real HTTP S3 endpoint, started by the
Stack as it starts Postgres and NATS): photos and documents travel the same upload path,
and are served through presigned URLs."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
from PIL import Image

from services.runner import Stack
from shared.mailsink import Mailbox
from tests import samples
from tests.api import Api
from tests.conftest import TEST_ENV, Infra
from tests.e2e.helpers import create_listing, upload
from tests.eventually import eventually


@pytest.fixture(scope="module")
def s3_stack(infra: Infra) -> Iterator[Stack]:
    # A NATS server of its own: on the session's, the other system's services (same
    # queue groups, files on disk) would answer this one's requests.
    # A low upload rate too, for its test (the shared system's must not limit the others),
    # and a sweep of unused photo files every second, for the crash test's.
    env = {**TEST_ENV, "WARDMATE_UPLOAD_RATE_PER_MINUTE": "3", "WARDMATE_UPLOAD_SWEEP_S": "1"}
    system = Stack(infra.data_dir / "stack-s3", database_url=infra.create_database("s3"), extra_env=env, s3=True)
    with system.running():
        yield system


@pytest.fixture
async def s3_api(s3_stack: Stack) -> AsyncIterator[Api]:
    async with Api(s3_stack.url, Mailbox(s3_stack.mail_dir)) as client:
        yield client


async def test_photos_and_documents_on_s3(s3_api: Api, s3_stack: Stack) -> None:
    """A photo uploads to the bucket and is served from a presigned URL with immutable
    caching; a document downloads from a short-lived presigned URL as an attachment, for
    its owner only; nothing is written to the data folder's storage."""
    api = s3_api
    assert s3_stack.moto is not None
    host = await api.signup("professional", "Dr. S3")
    listing = await create_listing(api, host)
    photo = await upload(api, host, listing["id"], samples.gps_jpeg(width=1400, height=1000))
    assert photo.status == 201, photo.body
    assert api.http
    async with api.http.get(api.base + photo.body["urls"]["1024"], allow_redirects=False) as r:
        assert r.status == 302
        presigned = r.headers["Location"]
    assert presigned.startswith(s3_stack.moto.url)
    async with aiohttp.ClientSession() as http, http.get(presigned) as r:
        assert r.status == 200
        assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        image = Image.open(io.BytesIO(await r.read()))
        assert image.format == "WEBP" and image.width == 1024 and not image.getexif()
    # The page may load images from the store's origin, and from nowhere else.
    async with api.http.get(api.base + "/") as r:
        assert s3_stack.moto.url in r.headers["Content-Security-Policy"]

    student = await api.signup("student", "S3 Student")
    form = aiohttp.FormData()
    form.add_field("kind", "enrolment")
    form.add_field("file", samples.pdf(), filename="letter.pdf", content_type="application/pdf")
    async with api.http.post(
        f"{api.base}/api/v1/me/documents", data=form, headers={"Authorization": f"Bearer {student.token}"}
    ) as r:
        assert r.status == 201
        doc_id = (await r.json())["id"]
    url = f"{api.base}/api/v1/documents/{doc_id}/file"
    async with api.http.get(url, headers={"Authorization": f"Bearer {host.token}"}, allow_redirects=False) as r:
        assert r.status == 404  # not theirs: no URL is issued
    async with api.http.get(url, headers={"Authorization": f"Bearer {student.token}"}, allow_redirects=False) as r:
        assert r.status == 302
        presigned = r.headers["Location"]
    assert "X-Amz-Expires=300" in presigned
    async with aiohttp.ClientSession() as http, http.get(presigned) as r:
        assert r.status == 200 and (await r.read()) == samples.pdf()
        assert r.headers["Content-Disposition"].startswith("attachment;")
    assert not (s3_stack.data_dir / "storage").exists()


async def test_uploads_per_user_are_rate_limited(s3_api: Api) -> None:
    """A user's uploads past the per-minute rate answer 429 with Retry-After; another user's do not."""
    api = s3_api
    host, other = await api.signup("professional", "Dr. Busy"), await api.signup("professional", "Dr. Calm")
    listing, theirs = await create_listing(api, host), await create_listing(api, other)
    for _ in range(3):
        assert (await upload(api, host, listing["id"], samples.png(320, 240))).status == 201
    limited = await upload(api, host, listing["id"], samples.png(320, 240))
    assert limited.status == 429 and limited.error_code == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1
    assert (await upload(api, other, theirs["id"], samples.png(320, 240))).status == 201


async def served(api: Api, url: str) -> int:
    """The status a browser ends with for a photo URL: the gateway's redirect followed to
    the bucket's presigned URL."""
    assert api.http
    async with api.http.get(api.base + url) as r:
        return r.status


async def test_a_deleted_hosts_photos_leave_the_bucket_even_when_listings_dies_after_the_commit(
    s3_api: Api, s3_stack: Stack
) -> None:
    """The deletions consumer queues a deleted host's photo files in its transaction: when
    the process dies right after the commit, before deleting anything, a listings replica's
    sweep deletes them from the bucket; a file another host's photo shares stays."""
    api = s3_api
    host, other = await api.signup("professional", "Dr. Leaving S3"), await api.signup("professional", "Dr. Stays S3")
    listing, theirs = await create_listing(api, host), await create_listing(api, other)
    own = await upload(api, host, listing["id"], samples.jpeg(color=(120, 30, 200)))
    shared = samples.jpeg(color=(30, 200, 120))
    mine_too, kept = await upload(api, host, listing["id"], shared), await upload(api, other, theirs["id"], shared)
    assert own.status == mine_too.status == kept.status == 201
    assert await served(api, own.body["urls"]["320"]) == 200

    env = s3_stack.env("listings")
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "tests.e2e.crash_step", "erase", host.id],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == -9, done.stderr.decode()[-2000:]
    assert (await api.call("GET", f"/listings/{listing['id']}")).status == 404

    async def own_files() -> list[int]:
        return [await served(api, url) for url in own.body["urls"].values()]

    await eventually(
        own_files, 30, what="the deleted host's own photo files to leave the bucket", until=lambda s: set(s) == {404}
    )
    for url in kept.body["urls"].values():
        assert await served(api, url) == 200
    got = await api.call("GET", f"/listings/{theirs['id']}")
    assert [p["id"] for p in got.body["photos"]] == [kept.body["id"]]
