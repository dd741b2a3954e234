"""Uploaded images made safe: decoded (never trusted by name or type), pixel-limited,
turned upright, stripped of every metadata block, re-encoded to WebP at fixed widths.

``process_image`` is pure and CPU-bound: services run it in a process pool
(``ImagePool``) so their event loop keeps answering. It raises ``ImageRefusedError``
with a message the user can act on.

Why a GPS-free output is guaranteed: the variants are new images built from pixels
alone (``Image.new`` + paste), so no EXIF, XMP, ICC or comment block of the upload can
ride along, whatever the encoder's defaults.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import ctypes
import ctypes.util
import hashlib
import io
import multiprocessing
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
WIDTHS = (320, 1024, 2048)
WEBP_QUALITY = 80
T = TypeVar("T")


class ImageRefusedError(ValueError):
    """The upload is not an image we take (the message says why)."""


@dataclass(frozen=True)
class Variant:
    width: int
    height: int
    digest: str  # sha256 of the bytes, 32 hex digits: the object's name and its ETag
    data: bytes


@dataclass(frozen=True)
class ProcessedImage:
    source_format: str
    width: int
    height: int
    color: str  # the dominant colour, #rrggbb: the placeholder while the image loads
    variants: dict[int, Variant]  # by requested width


def _register_heif() -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()


def open_image(data: bytes, max_pixels: int) -> Image.Image:
    """Decode ``data`` fully, or refuse it: not an accepted format, too many pixels
    (checked from the header, before any pixel is decoded), damaged or truncated."""
    _register_heif()
    # Our own limit, checked from the header; Pillow's (a warning, then an error at
    # twice the limit) would otherwise decide first.
    Image.MAX_IMAGE_PIXELS = None
    try:
        image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise ImageRefusedError("the file is not a JPEG, PNG, WebP or HEIC image") from None
    if image.width * image.height > max_pixels:
        raise ImageRefusedError(f"the image has more than {max_pixels} pixels")
    try:
        image.load()
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
        raise ImageRefusedError("the image is damaged or incomplete") from None
    return image


def _upright_pixels(image: Image.Image) -> Image.Image:
    """The picture as it is meant to be seen, as a new image holding pixels only."""
    try:
        upright = ImageOps.exif_transpose(image) or image
    except (SyntaxError, ValueError, OSError, KeyError, TypeError):
        upright = image  # an unreadable EXIF block: no orientation to honour
    mode = "RGBA" if upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info else "RGB"
    pixels = upright.convert(mode)
    clean = Image.new(mode, pixels.size)
    clean.paste(pixels)
    return clean


def dominant_color(image: Image.Image) -> str:
    red, green, blue = image.convert("RGB").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))  # type: ignore[misc]
    return f"#{red:02x}{green:02x}{blue:02x}"


def encode_webp(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
    return out.getvalue()


def process_image(data: bytes, max_pixels: int, widths: tuple[int, ...] = WIDTHS) -> ProcessedImage:
    """The upload's variants: WebP at each of ``widths`` (never wider than the original)."""
    image = open_image(data, max_pixels)
    source_format = image.format or "unknown"
    clean = _upright_pixels(image)
    image.close()
    variants: dict[int, Variant] = {}
    # Widest first, each from the last: a cheaper resize than from the original each time.
    current = clean
    for width in sorted(widths, reverse=True):
        if current.width > width:
            height = max(1, round(current.height * width / current.width))
            current = current.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=2.0)
        data_out = encode_webp(current)
        digest = hashlib.sha256(data_out).hexdigest()[:32]
        variants[width] = Variant(current.width, current.height, digest, data_out)
    return ProcessedImage(source_format, clean.width, clean.height, dominant_color(current), variants)


PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent ends


def _start_worker(nice: int, parent: int) -> None:
    """A worker yields the CPU to the services' requests: a search waiting behind a photo's
    encoding is what users feel (bench/uploads.py measures it), a photo taking longer is not.

    And it dies with its service. A worker waits on the pool's call queue, whose writing
    end it holds itself, so a service killed outright (SIGKILL, the OOM killer) left its
    workers waiting forever: the supervision test left one behind on every run. Linux
    signals the worker when its parent goes (PR_SET_PDEATHSIG); a parent that went before
    that was set shows as a changed parent pid. (Linux means the parent *thread*: workers
    are started by ``submit``, which ``run`` calls on the event loop's thread, the
    service's main one.)"""
    if nice > 0:
        os.nice(nice)
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:
        os._exit(0)


class ImagePool:
    """A process pool for ``process_image``: Pillow holds the GIL while it decodes and
    encodes, so in a thread it would stall the service's event loop for ~1 s a photo."""

    def __init__(self, workers: int, nice: int = 0) -> None:
        # spawn, not fork: the service has threads (asyncpg, uvloop) a fork would copy mid-state.
        self._executor = concurrent.futures.ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(nice, os.getpid()),
        )

    async def process(self, data: bytes, max_pixels: int) -> ProcessedImage:
        return await self.run(process_image, data, max_pixels)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a worker process (``fn`` importable, its arguments picklable)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, *args)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
