"""shared.documents: which PDFs and images are kept as verification documents."""

from __future__ import annotations

import hashlib

import pytest

from shared.documents import DocumentRefusedError, process_document
from tests import samples

MAX_PIXELS = 50_000_000


def test_a_plain_pdf_is_kept_as_sent() -> None:
    """A readable PDF within the page limit is kept byte for byte, with its page count."""
    data = samples.pdf(pages=2)
    doc = process_document(data, MAX_PIXELS, max_pages=20)
    assert (doc.data, doc.content_type, doc.pages) == (data, "application/pdf", 2)


def test_a_document_is_known_by_the_sha256_of_what_is_kept() -> None:
    """The digest names the bytes kept (the PDF as sent, the image's WebP): the same file
    twice has one digest, another file another."""
    data = samples.pdf(pages=2)
    kept = [process_document(d, MAX_PIXELS, max_pages=20) for d in (data, data, samples.pdf(pages=3))]
    assert kept[0].digest == hashlib.sha256(data).hexdigest() == kept[1].digest != kept[2].digest
    image = process_document(samples.gps_jpeg(), MAX_PIXELS, max_pages=20)
    assert image.digest == hashlib.sha256(image.data).hexdigest()


def test_an_image_loses_its_metadata() -> None:
    """A photographed letter is kept as a WebP without EXIF (GPS included)."""
    doc = process_document(samples.gps_jpeg(), MAX_PIXELS, max_pages=20)
    assert doc.content_type == "image/webp" and b"Exif" not in doc.data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (samples.pdf(javascript=True), "JavaScript"),
        (samples.pdf(attachment=True), "embedded files"),
        (samples.pdf(encrypt=True), "encrypted"),
        (samples.pdf(pages=21), "at most 20"),
        (samples.pdf()[:200], "cannot be read"),
        (b"%PDF-1.7\n" + b"garbage" * 100, "cannot be read"),
        (samples.HTML_AS_JPEG, "send a PDF"),
        (samples.png_bomb(), "send a PDF"),
    ],
    ids=["javascript", "attachment", "encrypted", "too-long", "truncated", "garbage", "html", "bomb"],
)
def test_refused(data: bytes, message: str) -> None:
    """What could run, hide files, cannot be read or is too long is refused, with why."""
    with pytest.raises(DocumentRefusedError, match=message):
        process_document(data, MAX_PIXELS, max_pages=20)
