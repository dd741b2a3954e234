"""The multipart routes (uploads) and the downloads (a document, the payouts CSV) in the
OpenAPI document: the route table describes JSON bodies only, so these operations are
written out here."""

from __future__ import annotations

from typing import Any


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def document(doc: dict[str, Any], api: str) -> None:
    """Add the multipart upload to the OpenAPI document built from the route table."""
    errors = {
        "400": "not an image we take, or a missing or bad field",
        "401": "not logged in",
        "403": "a cookie session without the CSRF header",
        "404": "no such listing of yours",
        "409": "the listing has its 20 photos, or has this image with another alt text or caption",
        "413": "the file is over 15 MB",
        "429": "too many uploads; slow down",
        "503": "service unavailable",
        "504": "the service did not answer in time",
    }
    doc["paths"].setdefault(api + "/listings/{id}/photos", {})["post"] = {
        "summary": "Upload a photo of your listing (multipart: file and alt_text; caption, replaces)",
        "description": "JPEG, PNG, WebP or HEIC up to 15 MB; decoded, turned upright, stripped of all "
        "metadata (GPS included) and stored as WebP at 320, 1024 and 2048 px.",
        "tags": ["photos"],
        "operationId": "add_photo",
        "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}],
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file", "alt_text"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "alt_text": {"type": "string", "minLength": 3, "maxLength": 300},
                            "caption": {"type": "string", "maxLength": 300},
                            "replaces": {"type": "string", "format": "uuid"},
                        },
                    }
                }
            },
        },
        "responses": {
            "201": {
                "description": "the photo (the same image again on the listing: the photo it has)",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Photo"}}},
            },
            **{status: _error(text) for status, text in errors.items()},
        },
        "security": [{"bearer": []}, {"cookie": []}],
    }

    doc["paths"].setdefault(api + "/me/documents", {})["post"] = {
        "summary": "Send a verification document (multipart: file and kind)",
        "description": "Students: enrolment or rotation_acceptance; professionals: licence. A PDF (parsed: refused "
        "when encrypted, over the page limit, or with JavaScript or embedded files) or an image (kept without "
        "metadata). Private: only you and operators can fetch it; deleted a set number of days after the decision.",
        "tags": ["documents"],
        "operationId": "add_document",
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file", "kind"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "kind": {"type": "string", "enum": ["enrolment", "rotation_acceptance", "licence"]},
                        },
                    }
                }
            },
        },
        "responses": {
            "201": {
                "description": "the document, waiting for an operator (the same file and kind again while"
                " one waits: that one)",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Document"}}},
            },
            **{status: _error(text) for status, text in errors.items() if status not in ("404", "409")},
            "409": _error("you have the most documents that may wait for an operator at once (5 by default)"),
        },
        "security": [{"bearer": []}, {"cookie": []}],
    }
    doc["paths"].setdefault(api + "/me/payouts.csv", {})["get"] = {
        "summary": "Your payouts as a host as one CSV file: every paid stay (checking in within from-to if given)",
        "tags": ["payments"],
        "operationId": "get_payouts_csv",
        "parameters": [
            {"name": name, "in": "query", "required": False, "schema": {"type": "string", "format": "date"}}
            for name in ("from", "to")
        ],
        "responses": {
            "200": {"description": "text/csv, as an attachment, streamed page by page"},
            "400": _error("a bad date, to not after from, or another query parameter"),
            "403": _error("payouts are a host's: a student or an operator has none"),
            **{status: _error(text) for status, text in errors.items() if status in ("401", "429", "503", "504")},
        },
        "security": [{"bearer": []}, {"cookie": []}],
    }
    doc["paths"].setdefault(api + "/documents/{id}/file", {})["get"] = {
        "summary": "Download a verification document (its owner and operators only; an attachment)",
        "tags": ["documents"],
        "operationId": "get_document_file",
        "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}],
        "responses": {
            "200": {"description": "the file, as an attachment"},
            "302": {"description": "S3 storage: a presigned URL valid for five minutes"},
            **{status: _error(text) for status, text in errors.items() if status in ("400", "401", "404", "503")},
        },
        "security": [{"bearer": []}, {"cookie": []}],
    }
