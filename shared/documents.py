"""Verification documents made safe to keep and to hand to an operator: a PDF is parsed
(never rendered) and refused when it cannot be parsed, is encrypted, is too long, or
carries JavaScript or embedded files; an image is processed as photos are (decoded,
upright, every metadata block stripped) and kept as one WebP.

``process_document`` is CPU-bound and pure: services run it in their process pool.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Any

from shared.images import ImageRefusedError, process_image

DOCUMENT_WIDTH = 2048


class DocumentRefusedError(ValueError):
    """The upload is not a document we keep (the message says why)."""


@dataclass(frozen=True)
class ProcessedDocument:
    data: bytes
    content_type: str
    extension: str
    pages: int
    # sha256 of ``data``, 64 hex digits: the same file sent again is known by it.
    digest: str


# Names in a PDF that run code or carry files: refused wherever they appear.
ACTIVE_NAMES = ("/JavaScript", "/JS", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/RichMedia", "/XFA")


def _walk(obj: Any, seen: set[int], depth: int = 0) -> str | None:
    """The first active name found in ``obj`` and what it references (bounded: a PDF's
    objects may refer to each other in cycles)."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    if depth > 40:
        return None
    if isinstance(obj, IndirectObject):
        if obj.idnum in seen or len(seen) > 20_000:
            return None
        seen.add(obj.idnum)
        return _walk(obj.get_object(), seen, depth + 1)
    if isinstance(obj, DictionaryObject):
        for key, value in obj.items():
            if key in ACTIVE_NAMES or (key == "/S" and value in ("/JavaScript", "/Launch")):
                return str(key if key in ACTIVE_NAMES else value)
            found = _walk(value, seen, depth + 1)
            if found:
                return found
    elif isinstance(obj, ArrayObject):
        for value in obj:
            found = _walk(value, seen, depth + 1)
            if found:
                return found
    return None


def check_pdf(data: bytes, max_pages: int) -> int:
    """The PDF's page count, or ``DocumentRefusedError``."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise DocumentRefusedError("the PDF is encrypted or password-protected: send it without a password")
        pages = len(reader.pages)
        found = _walk(reader.trailer.get("/Root"), set())
    except DocumentRefusedError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, OSError):
        raise DocumentRefusedError("the PDF cannot be read: it is damaged or not a PDF") from None
    if pages == 0:
        raise DocumentRefusedError("the PDF has no pages")
    if pages > max_pages:
        raise DocumentRefusedError(f"the PDF has {pages} pages; at most {max_pages}")
    if found:
        what = "embedded files" if "Embedded" in found else "JavaScript or other active content"
        raise DocumentRefusedError(f"the PDF contains {what}; print it to a new PDF and send that")
    return pages


def process_document(data: bytes, max_pixels: int, max_pages: int) -> ProcessedDocument:
    """A PDF kept as sent once checked; an image re-encoded without its metadata."""
    if data[:1024].lstrip().startswith(b"%PDF-"):
        pages = check_pdf(data, max_pages)
        return ProcessedDocument(data, "application/pdf", "pdf", pages, hashlib.sha256(data).hexdigest())
    try:
        image = process_image(data, max_pixels, widths=(DOCUMENT_WIDTH,))
    except ImageRefusedError:
        raise DocumentRefusedError("send a PDF, or a photo or scan as JPEG, PNG, WebP or HEIC") from None
    kept = image.variants[DOCUMENT_WIDTH].data
    return ProcessedDocument(kept, "image/webp", "webp", 1, hashlib.sha256(kept).hexdigest())
