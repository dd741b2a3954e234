"""The whole system on S3 storage (moto's server, a real HTTP S3 endpoint, started by the
Stack as it starts Postgres and NATS): photos and documents travel the same upload path,
and are served through presigned URLs."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
from PIL import Image

from services.runner import Stack
from tests import samples
from tests.api import Api
from tests.conftest import TEST_ENV, Infra
from tests.e2e.helpers import create_listing, upload


@pytest.fixture(scope="module")
def s3_stack(infra: Infra) -> Iterator[Stack]:
    # A NATS server of its own: on the session's, the other system's services (same
    # queue groups, files on disk) would answer this one's requests.
    # A low upload rate too, for its test (the shared system's must not limit the others).
    env = {**TEST_ENV, "WARDMATE_UPLOAD_RATE_PER_MINUTE": "3"}
    system = Stack(infra.data_dir / "stack-s3", database_url=infra.create_database("s3"), extra_env=env, s3=True)
    with system.running():
        yield system


@pytest.fixture
async def s3_api(s3_stack: Stack) -> AsyncIterator[Api]:
    async with Api(s3_stack.url) as client:
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
        assert (await upload(api, host, listing["id"], samples.png(32, 24))).status == 201
    limited = await upload(api, host, listing["id"], samples.png(32, 24))
    assert limited.status == 429 and limited.error_code == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1
    assert (await upload(api, other, theirs["id"], samples.png(32, 24))).status == 201
