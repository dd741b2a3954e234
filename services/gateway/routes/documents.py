"""Verification documents: your own, and the operators' queue and decisions. The upload
(POST /me/documents) and the download (GET /documents/{id}/file) are served by
services/gateway/uploads.py, not by this table."""

from __future__ import annotations

from services.gateway.routes.route import Route
from shared import subjects
from shared.contracts import documents as document_contracts

ROUTES: list[Route] = [
    Route(
        method="GET",
        path="/me/documents",
        subject=subjects.MY_DOCUMENTS,
        request=document_contracts.MyDocuments,
        reply=document_contracts.DocumentPage,
        summary="Your verification documents, newest first, with their status",
        tag="documents",
    ),
    Route(
        method="GET",
        path="/admin/documents",
        subject=subjects.DOCUMENT_QUEUE,
        request=document_contracts.DocumentQueue,
        reply=document_contracts.QueuedDocumentPage,
        summary="Verification documents waiting for an operator, oldest first (operators)",
        tag="operators",
        errors=("forbidden",),
    ),
    Route(
        method="POST",
        path="/admin/documents/{id}/decision",
        subject=subjects.DECIDE_DOCUMENT,
        request=document_contracts.DocumentDecision,
        reply=document_contracts.Document,
        summary="Verify or reject a document; a verified proof of enrolment makes a verified student",
        tag="operators",
        path_params={"id": "document_id"},
        errors=("forbidden", "not_found", "conflict"),
    ),
]
