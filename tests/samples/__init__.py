"""Files for the upload tests, made in code: good images, GPS-tagged ones, and bad input."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image
from PIL.ExifTags import IFD


def jpeg(width: int = 640, height: int = 480, color: tuple[int, int, int] = (200, 80, 40), **save: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "JPEG", quality=85, **save)  # type: ignore[arg-type]
    return out.getvalue()


def gps_jpeg(orientation: int = 1, width: int = 640, height: int = 480) -> bytes:
    """A JPEG carrying GPS coordinates (Lower Manhattan), a camera model and an orientation."""
    exif = Image.Exif()
    exif[0x0110] = "Wardmate Test Camera"  # Model
    exif[0x0112] = orientation
    gps = exif.get_ifd(IFD.GPSInfo)
    gps[1] = "N"
    gps[2] = (40.0, 42.0, 46.0)
    gps[3] = "W"
    gps[4] = (74.0, 0.0, 21.0)
    # Left half red, right half blue: an orientation test can tell which way is up.
    image = Image.new("RGB", (width, height), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, width // 2, height))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


def png(width: int = 400, height: int = 300) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), (10, 120, 60, 255)).save(out, "PNG")
    return out.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_bomb(side: int = 30_000) -> bytes:
    """A PNG whose header claims side x side pixels (900 megapixels at the default), with
    a few compressed bytes of data: a decompression bomb."""
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (side * 3 + 1) * 8, 9)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", rows) + _chunk(b"IEND", b"")


HTML_AS_JPEG = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG_AS_JPEG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b'<rect width="10" height="10"/></svg>'
)
# GIF header that is also JavaScript (GIF89a=...): a classic polyglot; GIF is not taken.
GIF_JS_POLYGLOT = b"GIF89a/*\x00\x00\x00\x00\x00*/=1;alert(document.domain)//" + b"\x00" * 32 + b";"


def html_jpeg_polyglot() -> bytes:
    """A real JPEG with an HTML page after its end: a browser sniffing it would find HTML."""
    return jpeg(320, 240) + HTML_AS_JPEG


def truncated_jpeg() -> bytes:
    data = jpeg(800, 600, color=(1, 2, 3))
    return data[: len(data) // 2]


def pdf(pages: int = 1, *, javascript: bool = False, attachment: bool = False, encrypt: bool = False) -> bytes:
    """A PDF of ``pages`` blank pages, optionally with JavaScript, an embedded file, or a password."""
    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(612, 792)
    if javascript:
        action = DictionaryObject(
            {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('hello');")}
        )
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    if attachment:
        writer.add_attachment("payload.exe", b"MZ\x90\x00not really")
    if encrypt:
        writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
