"""Contracts of the payments service: paying for a booking, receipts, refunds, payouts,
Stripe's webhooks, and the payment events listings and messaging consume."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared import subjects
from shared.contracts.base import WHOLE_NUMBER, Contract, Cursor, Date, Event, Id, Limit, Page, Reply, Text, Words
from shared.contracts.listings import BookingStatus, ZoneName
from shared.errors import FieldError

PaymentStatus = Literal["due", "succeeded", "expired", "cancelled"]


class BookingPaymentId(Contract):
    booking_id: Id


class PayRequest(BookingPaymentId):
    """Pay for an accepted booking. Without ``payment_method`` the reply's client secret lets
    Stripe.js confirm; with the id of a card Stripe.js tokenized (the card itself never
    reaches Wardmate), Wardmate confirms the PaymentIntent with it and the reply says
    whether the bank asks for 3-D Secure (``requires_action``: Stripe.js takes over)."""

    payment_method: (
        Annotated[str, Field(max_length=100, pattern=r"^(pm|card)_[A-Za-z0-9]+$", description="a Stripe.js id")] | None
    ) = None


class PaymentIntent(Reply):
    """What the browser needs to confirm the first payment with Stripe.js: the card never
    reaches Wardmate, only the PaymentIntent's client secret goes to the browser."""

    payment_id: uuid.UUID
    booking_id: uuid.UUID
    amount: float
    currency: str = "USD"
    status: PaymentStatus
    pay_by: datetime | None = None
    payment_intent_id: str
    client_secret: str
    publishable_key: str
    intent_status: str = Field("requires_payment_method", description="the PaymentIntent's status at Stripe")


class ScheduledPayment(Reply):
    """A payment that counts: made, due, or ended with its booking."""

    number: int = Field(description="its place among the booking's payments that count, from 1: what a receipt shows")
    index: int = Field(description="its block (0: the payment that confirms the stay)")
    start: date = Field(description="the first night it pays for on the stay's dates now")
    nights: int = Field(description="how many nights it pays for on the stay's dates now (after new dates too)")
    amount: float = Field(description="what it charges, or charged: new dates never change a payment made")
    status: PaymentStatus
    charge_from: datetime
    pay_by: datetime | None = None
    release_at: datetime
    paid_at: datetime | None = None
    released_at: datetime | None = None
    refunded: float = 0.0
    failure: str | None = Field(None, description="why the guest's card was declined: shown to the guest only")
    card: str | None = Field(
        None, description="the card it was paid with, brand and last four digits ('Visa ending 4242'): the guest's only"
    )


class ReplacedPayment(Reply):
    """A payment that new dates replaced before it was made: it counts for nothing. A pay
    page left open on it may still have charged it; then ``refunded`` says it all came back."""

    start: date = Field(description="the first night it was asked for, under the earlier dates")
    nights: int
    amount: float
    charge_from: datetime
    refunded: float = 0.0


class RefundLine(Reply):
    id: uuid.UUID
    amount: float
    kind: Literal["cancellation", "operator", "expired", "shift"]
    reason: str
    status: Literal["pending", "succeeded"]
    created_at: datetime


class PlannedPayment(Reply):
    """A payment that accepting a request would schedule."""

    start: date = Field(description="the first night it pays for")
    nights: int
    amount: float
    charge_from: datetime = Field(description="when the guest is asked to pay it")
    release_at: datetime = Field(description="when it would be released to the host")
    host_fee: float = Field(description="the host fee taken from it at its release (rounded half up per payment)")


class AcceptanceQuote(Reply):
    """What accepting a request now would give the host: the payments it would schedule,
    the fee of each and the total the host receives. Worked by the rules that schedule and
    release the payments, so the page never repeats them."""

    payments: list[PlannedPayment]
    host_fee_percent: float
    host_fee: float
    host_net: float


class BookingPayments(Reply):
    """A booking's receipt: nights x rate, the schedule of payments, refunds, and (for
    the host) the fee and what they receive."""

    booking_id: uuid.UUID
    booking_status: BookingStatus = Field(description="the booking's status as payments last heard it")
    check_in: date
    check_out: date
    nights: int
    nightly_rate: float
    total: float
    currency: str = "USD"
    cancellation_policy: str
    time_zone: str = Field(description="the room's IANA time zone: the stay's times (a release) are on its clock")
    payments: list[ScheduledPayment]
    replaced: list[ReplacedPayment] = Field(
        default_factory=list, description="payments that new dates replaced before they were made, oldest first"
    )
    refunds: list[RefundLine]
    paid: float
    refunded: float
    held: float
    released: float
    host_fee_percent: float
    host_fee: float
    host_net: float
    if_accepted: AcceptanceQuote | None = Field(
        None, description="for the host of a request not answered yet: what accepting it now would give them"
    )


class RefundQuote(Reply):
    """What cancelling now would refund, before the guest confirms the cancellation."""

    booking_id: uuid.UUID
    paid: float
    refund: float
    reason: str
    cancellation_policy: str
    # Cancelled after ``refund_until`` (the policy's notice before check-in), the refund is
    # ``refund_after``: the guest learns by when to decide. None when nothing drops.
    refund_until: datetime | None = None
    refund_after: float | None = None
    time_zone: str | None = None


class OperatorRefund(Contract):
    """An operator's refund of a booking's payments, fully or in part, with a reason."""

    booking_id: Id
    amount_cents: Annotated[int, Field(ge=1, le=100_000_000), WHOLE_NUMBER]
    reason: Annotated[Words, Field(min_length=3, max_length=500)]


class StripeWebhook(Contract):
    """Stripe's request as the gateway received it: the raw body and its signature."""

    payload: Annotated[Text, Field(max_length=1_000_000)]
    signature: Annotated[Text, Field(max_length=2000)]


class PayoutLine(Reply):
    booking_id: uuid.UUID
    listing_title: str
    check_in: date
    check_out: date
    status: str
    paid: float
    refunded: float
    held: float
    released: float
    fees: float


class PayoutsRequest(Contract):
    """A page of a host's paid stays, newest check-in first, those checking in within the
    period when one is given. The whole period as one CSV file: ``GET /me/payouts.csv``
    (the gateway asks for every page with ``format=csv`` and streams them)."""

    limit: Limit = 50
    cursor: Cursor | None = None
    format: Literal["json", "csv"] = Field(
        "json", description="csv: the page also as CSV text (its header on the first page only)"
    )
    from_: Date | None = Field(None, alias="from", description="stays checking in on or after this day")
    to: Date | None = Field(None, description="stays checking in before this day")

    @model_validator(mode="after")
    def _period(self) -> PayoutsRequest:
        if self.from_ and self.to and self.to <= self.from_:
            raise FieldError("to", "the period ends after it begins")
        return self


class Payouts(Page):
    """A host's money: held by Wardmate until 24 h after check-in, released to their
    balance less the fee; the balance is a query over the ledger."""

    held: float
    released: float
    fees: float
    balance: float
    host_fee_percent: float
    items: list[PayoutLine]
    csv: str | None = None


class AdminPayments(Contract):
    booking_id: Id


class Reconciliation(Reply):
    ok: bool
    charges_in_ledger: int
    charges_at_stripe: int
    refunds_in_ledger: int
    refunds_at_stripe: int
    differences: list[str]
    overdue: list[str] = Field(
        default_factory=list,
        description="later payments past their deadline, unpaid: not a difference, for an operator to follow up",
    )


# --- events ---------------------------------------------------------------------------


class PaymentData(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    payment_id: uuid.UUID
    booking_id: uuid.UUID
    block: int
    amount_cents: int
    guest_id: uuid.UUID
    host_id: uuid.UUID
    listing_title: str = ""
    status: PaymentStatus
    # The nights the payment is for (events from before these fields carry neither).
    start_date: date | None = None
    nights: int | None = None


class PaymentDue(Event):
    """The host accepted: the stay's first payment is due by ``pay_by`` (on the room's clock,
    ``time_zone``), or the booking expires. The guest's notice of the acceptance says how
    much and by when (listings' ``BookingAccepted`` cannot: payments sets the deadline)."""

    subject: ClassVar[str] = subjects.PAYMENT_DUE
    payment: PaymentData
    pay_by: datetime
    time_zone: ZoneName
    check_in: date
    check_out: date
    # How many payments the stay is split into (a long stay pays by blocks of nights).
    payments: int = 1


class PaymentSucceeded(Event):
    subject: ClassVar[str] = subjects.PAYMENT_SUCCEEDED
    payment: PaymentData


PaymentFailure = Literal["declined", "overdue"]


class PaymentFailed(Event):
    """A payment the guest's card did not make: the card was refused (``reason`` is the
    bank's, for the guest only).

    ``kind`` is ``declined`` in every event published now. ``overdue`` is in events
    published before ``PaymentOverdue`` existed (old outbox rows, the stream's history):
    a later payment past its deadline unpaid, which consumers read as that event
    (``as_overdue``). Events from before ``kind`` read as ``declined``."""

    subject: ClassVar[str] = subjects.PAYMENT_FAILED
    payment: PaymentData
    reason: str
    kind: PaymentFailure = "declined"
    pay_by: datetime | None = None
    time_zone: ZoneName | None = None

    def as_overdue(self) -> PaymentOverdue | None:
        """This event as the ``PaymentOverdue`` it stood for (same id: one inbox entry),
        or None for a refused card."""
        if self.kind != "overdue":
            return None
        return PaymentOverdue(
            event_id=self.event_id,
            occurred_at=self.occurred_at,
            payment=self.payment,
            reason=self.reason,
            pay_by=self.pay_by,
            time_zone=self.time_zone,
        )


class PaymentOverdue(Event):
    """A later payment of a confirmed stay (a later block of a long stay, or what new dates
    added) past its deadline (``pay_by``) unpaid: no card was refused, the stay is not
    ended and the payment stays payable, late; the host may cancel. Announced once."""

    subject: ClassVar[str] = subjects.PAYMENT_OVERDUE
    payment: PaymentData
    reason: str
    # None only in an overdue ``PaymentFailed`` from before the deadline was carried.
    pay_by: datetime | None = None
    # The room's time zone, in which the notices state ``pay_by`` (the deadline is its
    # check-in time there). None in events from before it was carried: UTC.
    time_zone: ZoneName | None = None


class PaymentDueSoon(Event):
    """A payment still unpaid near its deadline (``pay_by``, on the room's clock
    ``time_zone``): the guest is reminded once. Unpaid by then, a first payment expires the
    booking (its dates go back to the host), a later one is overdue."""

    subject: ClassVar[str] = subjects.PAYMENT_DUE_SOON
    payment: PaymentData
    pay_by: datetime
    time_zone: ZoneName


class PaymentExpired(Event):
    """Unpaid by its deadline: listings frees the dates."""

    subject: ClassVar[str] = subjects.PAYMENT_EXPIRED
    payment: PaymentData


class PaymentRefunded(Event):
    subject: ClassVar[str] = subjects.PAYMENT_REFUNDED
    payment: PaymentData
    refund_id: uuid.UUID
    refund_cents: int
    reason: str
    # What of it was taken back from the host's balance (money already released to them;
    # 0 in events from before the field): the host is told, as of a release.
    host_cents: int = 0
    # Why it was made (the refund's kind: "cancellation", "operator", "expired", "shift");
    # None in events from before the field.
    refund_kind: str | None = None


class PaymentReleased(Event):
    subject: ClassVar[str] = subjects.PAYMENT_RELEASED
    payment: PaymentData
    released_cents: int
    fee_cents: int


PAYMENT_EVENTS = (
    PaymentDue,
    PaymentSucceeded,
    PaymentFailed,
    PaymentOverdue,
    PaymentDueSoon,
    PaymentExpired,
    PaymentRefunded,
    PaymentReleased,
)
