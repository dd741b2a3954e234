"""shared.images: what an upload becomes, and what it is refused for."""

from __future__ import annotations

import io
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from shared.images import ImageRefusedError, process_image
from tests import samples

MAX_PIXELS = 50_000_000


def test_gps_jpeg_comes_back_without_any_metadata() -> None:
    """A JPEG with GPS coordinates and a camera model gives variants with no EXIF, XMP or ICC at all."""
    source = samples.gps_jpeg()
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(0x8825)  # the sample does carry GPS
    result = process_image(source, MAX_PIXELS)
    for variant in result.variants.values():
        out = Image.open(io.BytesIO(variant.data))
        assert out.format == "WEBP"
        assert not out.getexif()
        assert not {"exif", "xmp", "icc_profile", "XML:com.adobe.xmp"} & set(out.info)
        assert b"Exif" not in variant.data and b"Wardmate Test Camera" not in variant.data


def test_orientation_is_applied() -> None:
    """EXIF orientation 6 (rotate 90° clockwise) gives an upright portrait picture."""
    result = process_image(samples.gps_jpeg(orientation=6, width=640, height=480), MAX_PIXELS)
    assert (result.width, result.height) == (480, 640)
    out = Image.open(io.BytesIO(result.variants[320].data)).convert("RGB")
    # The left half (red) is now the top half.
    top = out.getpixel((out.width // 2, out.height // 8))
    bottom = out.getpixel((out.width // 2, out.height * 7 // 8))
    assert top[0] > 200 and top[2] < 60, top
    assert bottom[2] > 200 and bottom[0] < 60, bottom


def test_three_widths_named_by_content() -> None:
    """A wide photo gives 320, 1024 and 2048 px WebPs, each named by its hash; a small one is never enlarged."""
    result = process_image(samples.jpeg(3000, 2000), MAX_PIXELS)
    assert {w: v.width for w, v in result.variants.items()} == {320: 320, 1024: 1024, 2048: 2048}
    assert len({v.digest for v in result.variants.values()}) == 3
    small = process_image(samples.png(400, 300), MAX_PIXELS)
    assert [small.variants[w].width for w in (320, 1024, 2048)] == [320, 400, 400]
    assert small.color == "#0a783c"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (samples.HTML_AS_JPEG, "not a JPEG"),
        (samples.SVG_AS_JPEG, "not a JPEG"),
        (samples.GIF_JS_POLYGLOT, "not a JPEG"),
        (samples.truncated_jpeg(), "damaged or incomplete"),
        (samples.png_bomb(), "more than"),
        (b"", "not a JPEG"),
        (samples.pdf(), "not a JPEG"),
    ],
    ids=["html", "svg", "gif-js-polyglot", "truncated", "bomb", "empty", "pdf"],
)
def test_refused(data: bytes, message: str) -> None:
    """What is not a whole image of an accepted format, or has too many pixels, is refused."""
    with pytest.raises(ImageRefusedError, match=message):
        process_image(data, MAX_PIXELS)


def test_polyglot_tail_never_reaches_the_output() -> None:
    """A JPEG with an HTML page appended decodes as the JPEG; the variants are new files without the page."""
    result = process_image(samples.html_jpeg_polyglot(), MAX_PIXELS)
    assert all(b"<script" not in v.data for v in result.variants.values())


def test_heic_is_taken() -> None:
    """HEIC (phones) decodes through pillow-heif."""
    from pillow_heif import register_heif_opener

    register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (90, 90, 200)).save(out, "HEIF")
    result = process_image(out.getvalue(), MAX_PIXELS)
    assert result.source_format == "HEIF"
    assert result.variants[320].width == 300


OWNER = """
import asyncio, os, sys, time
from shared.images import ImagePool
pool = ImagePool(1)
async def main():
    await pool.run(os.getpid)  # the worker is up
    print(*pool._executor._processes, flush=True)
    time.sleep(60)
asyncio.run(main())
"""


def test_workers_die_with_their_service() -> None:
    """A service killed outright (SIGKILL: the OOM killer, a supervisor) takes its image
    workers with it; they used to wait on the pool's queue forever."""
    root = Path(__file__).resolve().parents[2]
    owner = subprocess.Popen([sys.executable, "-c", OWNER], stdout=subprocess.PIPE, text=True, cwd=root)
    try:
        assert owner.stdout is not None
        workers = [int(pid) for pid in owner.stdout.readline().split()]
        assert workers and all(Path(f"/proc/{pid}").exists() for pid in workers)
        owner.send_signal(signal.SIGKILL)
        owner.wait(10)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(pid) for pid in workers), "an image worker outlived its service"
    finally:
        owner.kill()


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped (by init, once its parent is gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
