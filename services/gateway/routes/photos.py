"""A listing's photos: alt text and caption, order, delete. Uploads are multipart and
served by services/gateway/uploads.py (POST /listings/{id}/photos), not by this table."""

from __future__ import annotations

from services.gateway.routes.route import Route
from shared import subjects
from shared.contracts import photos as photo_contracts
from shared.contracts.base import Ok

PHOTO_PATH = {"id": "listing_id", "photo_id": "photo_id"}

ROUTES: list[Route] = [
    Route(
        method="PATCH",
        path="/listings/{id}/photos/{photo_id}",
        subject=subjects.UPDATE_PHOTO,
        request=photo_contracts.PhotoUpdate,
        reply=photo_contracts.Photo,
        summary="Change a photo's alt text or caption (the listing's host)",
        tag="photos",
        path_params=PHOTO_PATH,
        errors=("not_found",),
    ),
    Route(
        method="PUT",
        path="/listings/{id}/photo-order",
        subject=subjects.ORDER_PHOTOS,
        request=photo_contracts.PhotoOrder,
        reply=photo_contracts.Photos,
        summary="Put the listing's photos in a new order; the first is the cover",
        tag="photos",
        path_params={"id": "listing_id"},
        errors=("not_found",),
    ),
    Route(
        method="DELETE",
        path="/listings/{id}/photos/{photo_id}",
        subject=subjects.DELETE_PHOTO,
        request=photo_contracts.PhotoId,
        reply=Ok,
        summary="Delete a photo of your listing",
        tag="photos",
        path_params=PHOTO_PATH,
        errors=("not_found",),
    ),
]
