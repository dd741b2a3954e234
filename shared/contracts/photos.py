"""Contracts of listing photos: what a listing shows of them, and the host's requests."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import MISSING, Field

from shared.contracts.base import Contract, Id, Reply, Text, Words


class PhotoCover(Reply):
    """A listing's first photo as a result card shows it: the smallest variant."""

    url: str
    alt_text: str
    color: str = Field(description="the image's dominant colour, #rrggbb: a placeholder while it loads")
    width: int
    height: int


class Photo(Reply):
    """One photo of a listing: WebP variants by width (320, 1024, 2048; never wider than
    the upload), stripped of all metadata; the first in order is the cover."""

    id: uuid.UUID
    position: int
    alt_text: str
    caption: str
    color: str
    width: int
    height: int
    urls: dict[str, str] = Field(description="by width in pixels: '320', '1024', '2048'")
    created_at: datetime


AltText = Annotated[Words, Field(min_length=3, max_length=300, description="what the photo shows, for screen readers")]
Caption = Annotated[Text, Field(max_length=300)]
UploadKey = Annotated[str, Field(pattern=r"^tmp/[0-9a-f]{32}$")]


class PhotoAdd(Contract):
    """A photo the gateway stored under ``upload_key`` (multipart upload): the listings
    service validates it by decoding it, processes it and deletes the upload."""

    listing_id: Id
    upload_key: UploadKey
    alt_text: AltText
    caption: Caption = ""
    replaces: Id | None = Field(None, description="a photo of the listing this one takes the place of")


class PhotoId(Contract):
    listing_id: Id
    photo_id: Id


class PhotoUpdate(Contract):
    """New alt text or caption of a photo (omitted: unchanged)."""

    listing_id: Id
    photo_id: Id
    alt_text: AltText | MISSING = MISSING
    caption: Caption | MISSING = MISSING


class PhotoOrder(Contract):
    """Every photo of the listing, once each, in their new order (the first is the cover)."""

    listing_id: Id
    photo_ids: Annotated[list[Id], Field(min_length=1, max_length=100)]


class Photos(Reply):
    items: list[Photo]
