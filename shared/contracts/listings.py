"""Contracts of the listings service: listings, bookings, reviews (hospitals: ``hospitals``)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, ClassVar, Literal

from pydantic import MISSING, AfterValidator, BaseModel, ConfigDict, Field, model_validator

from shared import stays, subjects, timezones
from shared.contracts.base import (
    WHOLE_NUMBER,
    Contract,
    Cursor,
    Date,
    Event,
    EventData,
    HospitalId,
    Id,
    Limit,
    Page,
    Reply,
    Text,
    Words,
    worded,
)
from shared.contracts.photos import Photo, PhotoCover
from shared.errors import FieldError

RoomType = Literal["private_room", "entire_place", "shared_room"]
# "held": an operator suspended the host; active again once the suspension is lifted.
ListingStatus = Literal["draft", "active", "held", "archived"]
# accepted: the host said yes, the guest has yet to pay; confirmed: paid (the address shows).
BookingStatus = Literal["requested", "accepted", "confirmed", "declined", "cancelled", "expired", "completed"]
SortOrder = Literal["distance", "price", "newest"]
# What a guest's cancellation refunds (services/payments/domain.refund_for_cancellation).
CancellationPolicy = Literal["flexible", "moderate", "strict"]
POLICY_DESCRIPTION = (
    "what a guest's cancellation refunds: flexible, full until 24 h before check-in; moderate, full until 7 days"
    " before, 50% after; strict, 50% until 14 days before, none after; after check-in, the nights beyond the next 7"
)

# Coordinates are kept to 7 decimals (about a centimetre): Postgres' earthdistance
# underflows on subnormal doubles such as 5e-324, and no address needs more.
COORDINATE_DECIMALS = 7


def _coordinate(value: float) -> float:
    return round(value, COORDINATE_DECIMALS)


def _known_zone(name: str) -> str:
    if not timezones.is_zone(name):
        raise ValueError(f"unknown time zone {name!r}")
    return name


ZoneName = Annotated[str, AfterValidator(_known_zone), Field(description="IANA time zone, e.g. America/New_York")]
Latitude = Annotated[float, Field(ge=-90, le=90, description="rounded to 7 decimals"), AfterValidator(_coordinate)]
Longitude = Annotated[float, Field(ge=-180, le=180, description="rounded to 7 decimals"), AfterValidator(_coordinate)]
# The listings table's bound (and the search's: a larger max_rent would overflow its integer).
MAX_MONTHLY_RENT = 100_000
MonthlyRent = Annotated[int, Field(gt=0, le=MAX_MONTHLY_RENT), WHOLE_NUMBER]
Title = Annotated[Words, Field(min_length=3, max_length=120)]
Address = Annotated[Words, Field(min_length=5, max_length=300)]
Description = Annotated[Text, Field(max_length=5000)]
HouseRules = Annotated[Text, Field(max_length=2000)]
MinStay = Annotated[int, Field(ge=1, le=365), WHOLE_NUMBER]
PublishStatus = Literal["draft", "active"]


def _amenity(value: str) -> str:
    return "_".join(value.lower().split())


# No commas: a search names amenities comma-separated in its query string.
Amenity = Annotated[
    str,
    Field(
        max_length=40,
        pattern=worded(r"^[^,\x00]*[^\s,\x00][^,\x00]*$", "a name with a letter and no comma"),
        description="stored lower-case, spaces as _",
    ),
    AfterValidator(_amenity),
]
Amenities = Annotated[list[Amenity], Field(max_length=30)]


# --- listings -------------------------------------------------------------------------


# The longest stay booking, quotes and search take (a year, leap day included).
MAX_STAY_NIGHTS = 366


def _check_stay(check_in: date, check_out: date, field: str) -> None:
    """One rule for a stay's dates wherever they are given: check-out after check-in, at
    most ``MAX_STAY_NIGHTS`` nights (search once priced stays booking refuses)."""
    if check_in >= check_out:
        raise FieldError(field, "must be after check-in")
    if (check_out - check_in).days > MAX_STAY_NIGHTS:
        raise FieldError(field, f"a stay is at most {MAX_STAY_NIGHTS} nights")


def _check_window(available_from: object, available_to: object) -> None:
    if isinstance(available_from, date) and isinstance(available_to, date) and available_from > available_to:
        raise FieldError("available_to", "must be on or after the first available date")


# A US ZIP code (ZIP+4 accepted): a room's position can start from its centre.
ZipCode = Annotated[
    str,
    Field(
        max_length=10,
        pattern=worded(r"^[0-9]{5}(-[0-9]{4})?$", "a ZIP code: 5 digits, or 5 and 4 like 02114-2696"),
        description="US ZIP code",
    ),
]


def _check_position(latitude: object, longitude: object, zip_code: object) -> None:
    if (latitude is None) != (longitude is None):
        raise FieldError("longitude", "give both latitude and longitude, or neither")
    if latitude is None and zip_code is None:
        raise FieldError("zip_code", "give the room's ZIP code, or its latitude and longitude")


class ListingCreate(Contract):
    """A new listing (professionals only), available_from on or before available_to; the
    optional texts default to empty, amenities to none. Its position: latitude and
    longitude, or else the centre of zip_code (approximate: a ZIP spans a few km)."""

    title: Title
    description: Description = ""
    room_type: RoomType
    address: Address
    zip_code: ZipCode | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    monthly_rent: MonthlyRent
    amenities: Amenities = []
    house_rules: HouseRules = ""
    available_from: Date
    available_to: Date
    min_stay_nights: MinStay = 7
    status: PublishStatus = "active"
    cancellation_policy: CancellationPolicy = Field("moderate", description=POLICY_DESCRIPTION)

    @model_validator(mode="after")
    def _window(self) -> ListingCreate:
        _check_window(self.available_from, self.available_to)
        _check_position(self.latitude, self.longitude, self.zip_code)
        return self


class ListingUpdate(Contract):
    """A PATCH of a listing: an omitted field is unchanged, and no field takes null
    (each has a value: texts are cleared with "", amenities with []). The window that
    results, sent or stored, keeps available_from on or before available_to."""

    listing_id: Id
    title: Title | MISSING = MISSING
    description: Description | MISSING = MISSING
    room_type: RoomType | MISSING = MISSING
    address: Address | MISSING = MISSING
    zip_code: ZipCode | MISSING = MISSING
    latitude: Latitude | MISSING = MISSING
    longitude: Longitude | MISSING = MISSING
    monthly_rent: MonthlyRent | MISSING = MISSING
    amenities: Amenities | MISSING = MISSING
    house_rules: HouseRules | MISSING = MISSING
    available_from: Date | MISSING = MISSING
    available_to: Date | MISSING = MISSING
    min_stay_nights: MinStay | MISSING = MISSING
    status: PublishStatus | MISSING = MISSING
    cancellation_policy: CancellationPolicy | MISSING = MISSING

    @model_validator(mode="after")
    def _window(self) -> ListingUpdate:
        # Both given here; one against the stored other is the handler's check.
        _check_window(self.available_from, self.available_to)
        return self


class ListingId(Contract):
    listing_id: Id


# "lat,lon" in decimal degrees, each within its range.
NEAR_PATTERN = worded(
    r"^-?(90(\.0+)?|[1-8]?[0-9](\.[0-9]+)?),"
    r"-?(180(\.0+)?|(1[0-7][0-9]|[1-9]?[0-9])(\.[0-9]+)?)$",
    # It said "Not in the expected format." of 91,0.
    "write a latitude from -90 to 90 and a longitude from -180 to 180, as lat,lon (39.29,-76.59)",
)


class ListingSearch(Contract):
    """A search. Give one of hospital_id, near or place, and from with to or neither (a
    stay of at most 366 nights, from today on). Sorting by distance needs a centre: without
    one, results come newest first. A cursor pages only the search that made it."""

    hospital_id: HospitalId | None = None
    near: Annotated[str, Field(max_length=60, pattern=NEAR_PATTERN, description="lat,lon")] | None = None
    place: (
        Annotated[Words, Field(min_length=1, max_length=100, description='a US ZIP code or city ("Fargo, ND")')] | None
    ) = None
    radius_km: Annotated[float, Field(ge=0.1, le=500)] = 25.0
    from_: Date | None = Field(None, alias="from", description="check-in; give with to")
    to: Date | None = Field(None, description="check-out, after from")
    max_rent: MonthlyRent | None = None
    room_type: RoomType | None = None
    amenities: Annotated[list[Amenity], Field(min_length=1, max_length=30, description="all of these")] | None = None
    verified_hosts: bool = Field(
        False, description="only rooms of hosts whose professional credentials Wardmate has verified"
    )
    sort: SortOrder = "distance"
    cursor: Cursor | None = None
    limit: Limit = 20

    @model_validator(mode="after")
    def _consistent(self) -> ListingSearch:
        if sum(1 for centre in (self.hospital_id, self.near, self.place) if centre) > 1:
            raise FieldError("place", "search near one place: a hospital, a city or ZIP code, or a point")
        if (self.from_ is None) != (self.to is None):
            raise FieldError("to", "give both dates, or neither")
        if self.from_ and self.to:
            _check_stay(self.from_, self.to, "to")
        if self.sort == "distance" and not (self.hospital_id or self.near or self.place):
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
    photo_count: int = 0
    cover: PhotoCover | None = None


class Listing(ListingSummary):
    description: str
    house_rules: str
    cancellation_policy: CancellationPolicy = Field("moderate", description=POLICY_DESCRIPTION)
    status: ListingStatus
    updated_at: datetime
    photos: list[Photo] = []
    area: str | None = Field(
        None, description='the nearest US city of 15,000 people or more ("Fargo, ND"), if any within 50 km'
    )
    time_zone: str = Field(
        timezones.DEFAULT_ZONE, description="the room's IANA time zone: its stays' dates and times are its local ones"
    )
    # Wall-clock times at the room ("15:00"): plain strings, not JSON Schema's "time",
    # which is RFC 3339's and needs an offset a local hour of every day does not have.
    check_in_time: Annotated[str, Field(pattern=worded(r"^\d{2}:\d{2}$", "a time as HH:MM, such as 15:00"))] = Field(
        stays.CHECK_IN_TIME.strftime("%H:%M"),
        description="a stay starts on its first day from this time, at the room (its wall clock)",
    )
    check_out_time: Annotated[str, Field(pattern=worded(r"^\d{2}:\d{2}$", "a time as HH:MM, such as 15:00"))] = Field(
        stays.CHECK_OUT_TIME.strftime("%H:%M"),
        description="the guest leaves on the check-out day by this time, at the room (its wall clock)",
    )


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
    """A stay: check_out after check_in, at most 366 nights."""

    check_in: Date
    check_out: Date

    @model_validator(mode="after")
    def _order(self) -> StayDates:
        _check_stay(self.check_in, self.check_out, "check_out")
        return self


class QuoteRequest(StayDates):
    """The price of a stay: check_out after check_in, at most 366 nights."""

    listing_id: Id


class StayMoment(Reply):
    """A moment of a stay as its guest and host read it: on the room's clock, with the
    zone's UTC offset then, and the zone's abbreviation then (a stay may cross a change
    from standard to daylight time)."""

    at: datetime = Field(description="at the room, with its UTC offset: 2027-01-14T15:00:00-08:00")
    zone_abbreviation: str = Field(description="the room's time zone then, as written there: PST, PDT, HST")


STAY_MOMENTS = {
    "check_in_at": "from when the room is the guest's: the check-in day at the check-in time, at the room",
    "check_out_by": "when the guest leaves by: the check-out day at the check-out time, at the room",
}


class TakenNights(Reply):
    """Nights already taken, as a stay's dates: from ``check_in`` to the morning of ``check_out``."""

    check_in: date
    check_out: date


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
    taken: list[TakenNights] = Field(
        default_factory=list,
        description="the nights of these dates another stay holds or the host blocked (which is which is not"
        " said), merged, in date order: empty when none is",
    )
    time_zone: str = Field(timezones.DEFAULT_ZONE, description="the room's IANA time zone")
    check_in_at: StayMoment = Field(description=STAY_MOMENTS["check_in_at"])
    check_out_by: StayMoment = Field(description=STAY_MOMENTS["check_out_by"])


class BookingRequest(StayDates):
    """A stay to request: check_out after check_in, at most 366 nights, check_in today or
    later, inside the listing's availability window and at least its minimum stay."""

    listing_id: Id
    message: Annotated[Text, Field(max_length=2000)] = ""
    hospital_id: HospitalId | None = None
    rotation_id: Id | None = Field(
        None, description="your rotation this stay is for: when you move its dates, you hear which stays to shift"
    )


class BookingId(Contract):
    booking_id: Id


class BookingAction(BookingId):
    reason: Annotated[Text, Field(max_length=500)] = ""


class ShiftRequest(StayDates):
    """New dates for an accepted stay (the guest asks the host; one request at a time).
    A stay under way keeps its check-in; the dates must be free and fit the listing's
    window and minimum stay."""

    booking_id: Id


class Shift(Reply):
    """A change of dates the guest asked for: ``requested`` until the host answers (or the
    guest withdraws it); ``declined`` after the host's no."""

    check_in: date
    check_out: date
    status: Literal["requested", "declined"]
    nights: int
    total: float = Field(description="what the stay costs at these dates, at its own nightly rate")
    for_rotation: bool = Field(
        description="the dates are the ones the stay's rotation moved to: if the host declines them, the guest"
        " may cancel without fault and is refunded everything (rotation protection)"
    )


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
    rotation_id: uuid.UUID | None = None
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None = None
    role: Literal["guest", "host"]
    address: str | None = None
    shift: Shift | None = None
    end_reason: (
        Literal["shift_declined", "unpaid", "dates_taken", "dates_blocked", "withdrawn", "host_suspended"] | None
    ) = Field(
        None,
        description="why a booking ended: shift_declined, cancelled after the host declined moving it;"
        " unpaid, expired because the guest did not pay in time; dates_taken, a request declined because"
        " another guest's stay was accepted for some of its nights; dates_blocked, a request declined because"
        " the host blocked some of its nights; withdrawn, a request its guest cancelled before an answer;"
        " host_suspended, cancelled by the guest while Wardmate had suspended the host (refunded as if the host"
        " had cancelled)",
    )
    cancellation_policy: CancellationPolicy = Field("moderate", description=POLICY_DESCRIPTION)
    reviewed_by_me: bool = Field(
        False, description="you have reviewed this stay (each side reviews a completed stay once)"
    )
    can_review: bool = Field(
        False,
        description="you may review this stay now: each side once after a completed stay; the guest alone, for 30"
        " days, after the host cancelled the accepted or paid stay",
    )
    other_deleted: bool = Field(
        False, description="the other side (guest or host) deleted their account: nobody to see or write to"
    )
    host_suspended: bool = Field(
        False,
        description="Wardmate suspended the host's account: the stay is not cancelled, and the guest may cancel"
        " it without fault (refunded as if the host had cancelled)",
    )
    nights_free_again: bool = Field(
        False,
        description="a request declined for dates_taken whose nights the stay that took them no longer holds:"
        " its guest was told they are free again (the request stays declined; the guest may ask again)",
    )
    cancelled_by: Literal["guest", "host"] | None = Field(
        None, description="who cancelled a cancelled stay (null for stays cancelled before this was recorded)"
    )
    time_zone: str = Field(timezones.DEFAULT_ZONE, description="the room's IANA time zone")
    check_in_at: StayMoment = Field(description=STAY_MOMENTS["check_in_at"])
    check_out_by: StayMoment = Field(description=STAY_MOMENTS["check_out_by"])


class MyBookings(Contract):
    role: Literal["guest", "host"] | None = None
    status: BookingStatus | None = None
    listing_id: Id | None = Field(default=None, description="only the bookings of this room")
    limit: Limit = 20
    cursor: Cursor | None = None


class BookingPage(Page):
    items: list[Booking]


class ReviewCreate(BookingId):
    """A review of a completed stay, once per side; or, by its guest, of a host who
    cancelled their accepted or paid stay (within 30 days of the cancellation)."""

    rating: Annotated[int, Field(ge=1, le=5), WHOLE_NUMBER]
    text: Annotated[Words, Field(min_length=1, max_length=2000)]


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
    stay_cancelled_by_host: bool = Field(
        False, description="the host cancelled this stay after accepting it: the guest's review is of that"
    )
    created_at: datetime


class ListingReviews(Contract):
    """A page of a listing's reviews by its guests, newest first."""

    listing_id: Id
    limit: Limit = 20
    cursor: Cursor | None = None


class ReviewPage(Page):
    items: list[Review]


class UserReviews(Contract):
    """A page of the reviews a user received, newest first: ``role=host``, by their guests
    (of every room they listed, archived ones included); ``role=guest``, by the hosts they
    stayed with; both without ``role``."""

    user_id: Id
    role: Literal["host", "guest"] | None = None
    limit: Limit = 20
    cursor: Cursor | None = None


class Rating(Reply):
    """The average of a user's reviews on one side (None without reviews), and how many."""

    average: float | None = None
    count: int = 0


class UserReviewPage(ReviewPage):
    as_host: Rating = Field(description="the reviews their guests wrote, of every room they listed")
    as_guest: Rating = Field(description="the reviews the hosts they stayed with wrote")


# --- blocked dates --------------------------------------------------------------------
# Nights a host keeps for themselves inside the room's window (own use, a visit, repairs):
# no request, quote, search or room match offers them.

# The longest block, as the longest stay: a host who wants the room off for longer narrows
# its availability window instead.
MAX_BLOCK_NIGHTS = 366
BlockNote = Annotated[Text, Field(max_length=500, description="private: only the host sees it")]


class BlockedDatesCreate(Contract):
    """Block the nights from start to end (end is the day after the last night blocked, as a
    stay's check-out): end after start, at most 366 nights, from today at the room on."""

    listing_id: Id
    start: Date = Field(description="the first night blocked")
    end: Date = Field(description="the day after the last night blocked, after start")
    note: BlockNote = ""

    @model_validator(mode="after")
    def _order(self) -> BlockedDatesCreate:
        if self.end <= self.start:
            raise FieldError("end", "must be after the first night blocked")
        if (self.end - self.start).days > MAX_BLOCK_NIGHTS:
            raise FieldError("end", f"a block is at most {MAX_BLOCK_NIGHTS} nights: narrow the room's dates instead")
        return self


class BlockedDatesList(Contract):
    listing_id: Id
    limit: Limit = 20
    cursor: Cursor | None = None


class BlockedDatesId(Contract):
    listing_id: Id
    block_id: Id


class BlockedDates(Reply):
    """A range of nights the host blocked."""

    id: uuid.UUID
    listing_id: uuid.UUID
    start: date
    end: date = Field(description="the day after the last night blocked")
    nights: int
    note: str
    created_at: datetime
    declined_requests: int = Field(
        0, description="the waiting requests for these nights that blocking them declined (in the block's own reply)"
    )


class BlockedDatesPage(Page):
    """The room's blocks not yet over, earliest first."""

    items: list[BlockedDates]


# --- events ---------------------------------------------------------------------------
# Consumers (matching's projections, messaging's notifications) get snapshots of the
# aggregate after the change, with its version and ids. A listing's position in them is
# its public one (listings' ``domain.public_point``): the exact point and the address never
# leave listings, which shows them to the host and a confirmed guest only.


class NightRange(BaseModel):
    """Nights from ``start`` to ``end`` (exclusive, as a stay's check-out)."""

    model_config = ConfigDict(frozen=True)

    start: date
    end: date


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
    photo_count: int = 0
    cover: PhotoCover | None = None
    # The nights its host blocked, not yet over (each change steps the listing's version):
    # room matches count them as taken. Empty in snapshots from before blocks existed.
    blocked: list[NightRange] = []


class ListingPublished(Event):
    """A listing became active (created active, or a draft published)."""

    subject: ClassVar[str] = subjects.LISTING_PUBLISHED
    listing: ListingData


class ListingUpdated(Event):
    subject: ClassVar[str] = subjects.LISTING_UPDATED
    listing: ListingData


class ListingArchived(Event):
    subject: ClassVar[str] = subjects.LISTING_ARCHIVED
    listing: ListingData


class BookingData(EventData):
    booking_id: uuid.UUID
    listing_id: uuid.UUID
    # The room's title when the event happened: what a notification names, so a consumer
    # need not have seen the listing's own events first.
    listing_title: str = ""
    guest_id: uuid.UUID
    host_id: uuid.UUID
    check_in: date
    check_out: date
    status: BookingStatus
    total_cents: int
    hospital_id: str | None = None
    rotation_id: uuid.UUID | None = None
    # The listing's policy when the host accepted: what a cancellation refunds.
    cancellation_policy: CancellationPolicy = "moderate"
    end_reason: str | None = None
    # The host declined to move the stay to the dates its rotation moved to: a cancellation
    # by the guest from now on ends 'shift_declined' and refunds everything (rotation
    # protection), until the stay moves. Payments quotes refunds from it.
    rotation_protected: bool = False
    # The room's IANA time zone (set when the room is placed): the stay starts at its first
    # day's check-in time there (shared.stays), which payments holds the money and dates
    # its refund rules by. None in events from before it was carried: payments then keeps
    # the zone it knows, else uses America/New_York until it learns the room's own.
    time_zone: ZoneName | None = None


class _BookingEvent(Event):
    booking: BookingData


class BookingRequested(_BookingEvent):
    subject: ClassVar[str] = subjects.BOOKING_REQUESTED
    message: str = ""


class BookingAccepted(_BookingEvent):
    subject: ClassVar[str] = subjects.BOOKING_ACCEPTED


class BookingConfirmed(_BookingEvent):
    """The guest paid through Wardmate: the stay is confirmed and its address revealed."""

    subject: ClassVar[str] = subjects.BOOKING_CONFIRMED
    # What the payment that confirmed it was (a stay paid in blocks: the first one's); None in
    # events from before the field.
    paid_cents: int | None = None


class BookingDeclined(_BookingEvent):
    subject: ClassVar[str] = subjects.BOOKING_DECLINED


class BookingCancelled(_BookingEvent):
    subject: ClassVar[str] = subjects.BOOKING_CANCELLED
    cancelled_by: uuid.UUID
    withdrawn: bool = Field(False, description="a request its guest withdrew before the host answered")
    account_deleted: bool = Field(False, description="cancelled by the deletion of cancelled_by's account")


class BookingNightsFreed(_BookingEvent):
    """A request declined because another stay took its nights (``booking``, still declined)
    can be asked again: that stay was cancelled, expired unpaid or moved away, and all its
    nights are free. Published once per request (``services/listings/freed.py``)."""

    subject: ClassVar[str] = subjects.BOOKING_NIGHTS_FREED


class BookingCheckInSoon(_BookingEvent):
    """A confirmed stay checks in within a day (``check_in_at``, on the room's clock
    ``time_zone``): its guest and host are told, once (``jobs.remind_check_ins``)."""

    subject: ClassVar[str] = subjects.BOOKING_CHECK_IN_SOON
    check_in_at: datetime


class BookingShiftRequested(_BookingEvent):
    """The guest asks to move an accepted stay to new dates (``booking`` still has the old)."""

    subject: ClassVar[str] = subjects.BOOKING_SHIFT_REQUESTED
    check_in: date
    check_out: date
    # The stay's total at the new dates (its own nightly rate); None in older events.
    total_cents: int | None = None
    # The dates are the ones the stay's rotation moved to (as listings knows so far).
    for_rotation: bool = False


class BookingShifted(_BookingEvent):
    """The host accepted: ``booking`` has the new dates and total."""

    subject: ClassVar[str] = subjects.BOOKING_SHIFTED


class BookingShiftDeclined(_BookingEvent):
    subject: ClassVar[str] = subjects.BOOKING_SHIFT_DECLINED
    check_in: date
    check_out: date
    # The declined dates were the moved rotation's: a cancellation by the guest from now on
    # ends 'shift_declined' and refunds everything (rotation protection); otherwise the
    # policy applies. (Older events: False.)
    for_rotation: bool = False


class BookingShiftWithdrawn(_BookingEvent):
    """The guest took back their waiting request for new dates (the host is told)."""

    subject: ClassVar[str] = subjects.BOOKING_SHIFT_WITHDRAWN
    check_in: date
    check_out: date


class BookingExpired(_BookingEvent):
    subject: ClassVar[str] = subjects.BOOKING_EXPIRED


class BookingCompleted(_BookingEvent):
    subject: ClassVar[str] = subjects.BOOKING_COMPLETED


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
    stay_cancelled_by_host: bool = False


class ReviewPosted(Event):
    """A review; ``listing`` is the listing after it (a guest's review moves its average)."""

    subject: ClassVar[str] = subjects.REVIEW_POSTED
    review: ReviewData
    listing: ListingData


# Every event that carries a listing's snapshot, and every one that carries a booking's:
# what a projection of either consumes (a new event kind is added here, once).
LISTING_EVENTS = (ListingPublished, ListingUpdated, ListingArchived, ReviewPosted)
BOOKING_EVENTS = (
    BookingRequested,
    BookingAccepted,
    BookingConfirmed,
    BookingDeclined,
    BookingCancelled,
    BookingExpired,
    BookingCompleted,
    BookingShiftRequested,
    BookingShifted,
    BookingShiftDeclined,
    BookingShiftWithdrawn,
    BookingNightsFreed,
    BookingCheckInSoon,
)
