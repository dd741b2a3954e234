"""A service's object storage and its process pool for images and documents, opened once
per process (a ``ServiceApp`` resource: ``app.resource(open_media)``) and reached by its
handlers and jobs through ``media()``."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from shared.errors import AppError
from shared.images import ImagePool
from shared.settings import Settings
from shared.storage import Storage, open_storage


@dataclass
class Media:
    storage: Storage
    images: ImagePool


_current: list[Media] = []


def media() -> Media:
    if not _current:
        raise AppError("unavailable", "object storage is not ready")
    return _current[-1]


@contextlib.asynccontextmanager
async def open_media(settings: Settings) -> AsyncIterator[None]:
    async with open_storage(settings) as storage:
        images = ImagePool(settings.image_workers, settings.image_worker_nice)
        _current.append(Media(storage, images))
        try:
            yield
        finally:
            _current.pop()
            images.close()
