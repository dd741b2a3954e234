"""Contracts of the listings service: hospitals, listings, bookings, reviews."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.contracts.base import Contract, Event, EventData, Page, Reply

RoomType = Literal["private_room", "entire_place", "shared_room"]
ListingStatus = Literal["draft", "active", "archived"]
BookingStatus = Literal["requested", "accepted", "declined", "cancelled", "expired", "completed"]
SortOrder = Literal["distance", "price", "newest"]

Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]
Limit = Annotated[int, Field(ge=1, le=100)]
Cursor = Annotated[str, Field(max_length=500)]


def _amenity(value: str) -> str:
    value = "_".join(value.strip().lower().split())
    if not value:
        raise ValueError("must not be empty")
    return value


Amenity = Annotated[str, Field(max_length=40), AfterValidator(_amenity)]
Amenities = Annotated[list[Amenity], Field(max_length=30)]


def _split_csv(value: object) -> object:
    """Query strings carry lists as ``a,b,c``; bodies as JSON arrays. Accept both."""
    if isinstance(value, str):
        return [v for v in value.split(",") if v.strip()]
    return value


# --- hospitals ------------------------------------------------------------------------


class HospitalSearch(Contract):
    q: Annotated[str, Field(max_length=100)] | None = None
    state: Annotated[str, Field(min_length=2, max_length=2)] | None = None
    limit: Limit = 20
    cursor: Cursor | None = None


class Hospital(Reply):
    id: str
    name: str
    city: str
    state: str
    zip: str
    latitude: float
    longitude: float
    beds: int | None = None
    teaching: bool | None = None


class HospitalPage(Page):
    items: list[Hospital]


# --- listings -------------------------------------------------------------------------


class ListingFields(Contract):
    """Fields a host sets; all optional here so an update sends only what changes."""

    title: Annotated[str, Field(min_length=3, max_length=120)] | None = None
    description: Annotated[str, Field(max_length=5000)] | None = None
    room_type: RoomType | None = None
    address: Annotated[str, Field(min_length=5, max_length=300)] | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    monthly_rent: Annotated[int, Field(gt=0, le=100_000)] | None = None
    amenities: Amenities | None = None
    house_rules: Annotated[str, Field(max_length=2000)] | None = None
    available_from: date | None = None
    available_to: date | None = None
    min_stay_nights: Annotated[int, Field(ge=1, le=365)] | None = None
    status: Literal["draft", "active"] | None = None

    @model_validator(mode="after")
    def _window(self) -> ListingFields:
        if self.available_from and self.available_to and self.available_from > self.available_to:
            raise ValueError("available_from must be on or before available_to")
        return self


class ListingCreate(ListingFields):
    title: Annotated[str, Field(min_length=3, max_length=120)]
    room_type: RoomType
    address: Annotated[str, Field(min_length=5, max_length=300)]
    latitude: Latitude
    longitude: Longitude
    monthly_rent: Annotated[int, Field(gt=0, le=100_000)]
    available_from: date
    available_to: date
    min_stay_nights: Annotated[int, Field(ge=1, le=365)] = 7
    status: Literal["draft", "active"] = "active"


class ListingUpdate(ListingFields):
    listing_id: uuid.UUID


class ListingId(Contract):
    listing_id: uuid.UUID


class ListingSearch(Contract):
    hospital_id: Annotated[str, Field(max_length=200)] | None = None
    near: Annotated[str, Field(max_length=60, description="lat,lon")] | None = None
    radius_km: Annotated[float, Field(gt=0, le=500)] = 25.0
    from_: date | None = Field(None, alias="from")
    to: date | None = None
    max_rent: Annotated[int, Field(gt=0)] | None = None
    room_type: RoomType | None = None
    amenities: Amenities = []
    sort: SortOrder = "distance"
    cursor: Cursor | None = None
    limit: Limit = 20

    model_config = {"populate_by_name": True}

    @field_validator("amenities", mode="before")
    @classmethod
    def _amenities_csv(cls, value: object) -> object:
        return _split_csv(value)

    @field_validator("near")
    @classmethod
    def _near(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = value.split(",")
        try:
            lat, lon = float(parts[0]), float(parts[1])
        except (ValueError, IndexError):
            raise ValueError("near must be 'lat,lon'") from None
        if len(parts) != 2 or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError("near must be 'lat,lon' with latitude in [-90, 90], longitude in [-180, 180]")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ListingSearch:
        if self.hospital_id and self.near:
            raise ValueError("give hospital_id or near, not both")
        if (self.from_ is None) != (self.to is None):
            raise ValueError("give both from and to, or neither")
        if self.from_ and self.to and self.from_ >= self.to:
            raise ValueError("from must be before to")
        if self.sort == "distance" and not (self.hospital_id or self.near):
            self.sort = "newest"
        return self

    def point(self) -> tuple[float, float] | None:
        if not self.near:
            return None
        lat, lon = self.near.split(",")
        return float(lat), float(lon)


class Host(Reply):
    id: uuid.UUID
    display_name: str | None = None
    verified: bool = False


class Location(Reply):
    latitude: float
    longitude: float
    approximate: bool
    address: str | None = None


class ListingSummary(Reply):
    """A search result: what a result card shows. ``GET /listings/{id}`` has the rest."""

    id: uuid.UUID
    host: Host
    title: str
    room_type: RoomType
    location: Location
    monthly_rent: int
    nightly_rate: float
    amenities: list[str]
    available_from: date
    available_to: date
    min_stay_nights: int
    review_average: float | None = None
    review_count: int = 0
    created_at: datetime
    distance_km: float | None = None
    stay_total: float | None = None


class Listing(ListingSummary):
    description: str
    house_rules: str
    status: ListingStatus
    updated_at: datetime


class SearchPage(Page):
    items: list[ListingSummary]


class ListingPage(Page):
    items: list[Listing]


class MyListings(Contract):
    status: ListingStatus | None = None
    limit: Limit = 20
    cursor: Cursor | None = None


# --- bookings -------------------------------------------------------------------------


class StayDates(Contract):
    check_in: date
    check_out: date

    @model_validator(mode="after")
    def _order(self) -> StayDates:
        if self.check_in >= self.check_out:
            raise ValueError("check_out must be after check_in")
        if (self.check_out - self.check_in).days > 366:
            raise ValueError("a stay is at most 366 nights")
        return self


class QuoteRequest(StayDates):
    listing_id: uuid.UUID


class Quote(Reply):
    listing_id: uuid.UUID
    check_in: date
    check_out: date
    nights: int
    nightly_rate: float
    total: float
    currency: str = "USD"
    fees: float = 0.0
    available: bool
    reason: str | None = None


class BookingRequest(StayDates):
    listing_id: uuid.UUID
    message: Annotated[str, Field(max_length=2000)] = ""
    hospital_id: Annotated[str, Field(max_length=200)] | None = None


class BookingId(Contract):
    booking_id: uuid.UUID


class BookingAction(BookingId):
    reason: Annotated[str, Field(max_length=500)] = ""


class Booking(Reply):
    id: uuid.UUID
    listing_id: uuid.UUID
    listing_title: str
    guest_id: uuid.UUID
    host_id: uuid.UUID
    check_in: date
    check_out: date
    nights: int
    total: float
    currency: str = "USD"
    status: BookingStatus
    message: str
    hospital_id: str | None = None
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None = None
    role: Literal["guest", "host"]
    address: str | None = None


class MyBookings(Contract):
    role: Literal["guest", "host"] | None = None
    status: BookingStatus | None = None
    limit: Limit = 20
    cursor: Cursor | None = None


class BookingPage(Page):
    items: list[Booking]


class ReviewCreate(BookingId):
    rating: Annotated[int, Field(ge=1, le=5)]
    text: Annotated[str, Field(min_length=1, max_length=2000)]


class Review(Reply):
    id: uuid.UUID
    booking_id: uuid.UUID
    listing_id: uuid.UUID
    author_id: uuid.UUID
    subject_id: uuid.UUID
    author_role: Literal["guest", "host"]
    rating: int
    text: str
    hospital_name: str | None = None
    stay_month: str
    created_at: datetime


# --- events ---------------------------------------------------------------------------
# Consumers (matching's projections, messaging's notifications) get snapshots of the
# aggregate after the change, with its version: exact positions and ids, nothing shaped
# for one viewer (the approximate location and the address are REST concerns).


class ListingData(EventData):
    listing_id: uuid.UUID
    host_id: uuid.UUID
    title: str
    room_type: RoomType
    latitude: float
    longitude: float
    monthly_rent: int
    amenities: list[str]
    available_from: date
    available_to: date
    min_stay_nights: int
    status: ListingStatus
    review_average: float | None = None
    review_count: int = 0


class ListingPublished(Event):
    """A listing became active (created active, or a draft published)."""

    subject: ClassVar[str] = "events.listings.listing.published"
    listing: ListingData


class ListingUpdated(Event):
    subject: ClassVar[str] = "events.listings.listing.updated"
    listing: ListingData


class ListingArchived(Event):
    subject: ClassVar[str] = "events.listings.listing.archived"
    listing: ListingData


class BookingData(EventData):
    booking_id: uuid.UUID
    listing_id: uuid.UUID
    guest_id: uuid.UUID
    host_id: uuid.UUID
    check_in: date
    check_out: date
    status: BookingStatus
    total_cents: int
    hospital_id: str | None = None


class _BookingEvent(Event):
    booking: BookingData


class BookingRequested(_BookingEvent):
    subject: ClassVar[str] = "events.listings.booking.requested"
    message: str = ""


class BookingAccepted(_BookingEvent):
    subject: ClassVar[str] = "events.listings.booking.accepted"


class BookingDeclined(_BookingEvent):
    subject: ClassVar[str] = "events.listings.booking.declined"


class BookingCancelled(_BookingEvent):
    subject: ClassVar[str] = "events.listings.booking.cancelled"
    cancelled_by: uuid.UUID


class BookingExpired(_BookingEvent):
    subject: ClassVar[str] = "events.listings.booking.expired"


class BookingCompleted(_BookingEvent):
    subject: ClassVar[str] = "events.listings.booking.completed"


class ReviewData(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    review_id: uuid.UUID
    booking_id: uuid.UUID
    listing_id: uuid.UUID
    author_id: uuid.UUID
    subject_id: uuid.UUID
    author_role: Literal["guest", "host"]
    rating: int
    text: str
    hospital_name: str | None = None
    stay_month: str


class ReviewPosted(Event):
    """A review; ``listing`` is the listing after it (a guest's review moves its average)."""

    subject: ClassVar[str] = "events.listings.review.posted"
    review: ReviewData
    listing: ListingData
