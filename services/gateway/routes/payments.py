"""Payments: pay for an accepted booking, the receipt, the refund a cancellation would
give, a host's payouts, and operators' refunds and reconciliation. Stripe's webhook is
not in this table: its body is passed on raw, for its signature (see gateway.app)."""

from __future__ import annotations

from services.gateway.routes.route import BOOKING_ID, Route
from shared import subjects
from shared.contracts import payments as contracts
from shared.contracts.base import Empty

ROUTES: list[Route] = [
    Route(
        method="POST",
        path="/bookings/{id}/pay",
        subject=subjects.PAY_BOOKING,
        request=contracts.PayRequest,
        reply=contracts.PaymentIntent,
        summary="Pay for an accepted booking (guest): the PaymentIntent's client secret for Stripe.js",
        tag="payments",
        path_params=BOOKING_ID,
        errors=("not_found", "forbidden", "conflict"),
    ),
    Route(
        method="POST",
        path="/bookings/{id}/pay/confirm",
        subject=subjects.CONFIRM_PAYMENT,
        request=contracts.BookingPaymentId,
        reply=contracts.BookingPayments,
        summary="After Stripe.js confirmed: Wardmate asks Stripe and applies its answer (the webhook does too)",
        tag="payments",
        path_params=BOOKING_ID,
        errors=("not_found",),
    ),
    Route(
        method="GET",
        path="/bookings/{id}/payments",
        subject=subjects.BOOKING_PAYMENTS,
        request=contracts.BookingPaymentId,
        reply=contracts.BookingPayments,
        summary="A booking's receipt: nights x rate, the payment schedule, refunds, the host's fee and net",
        tag="payments",
        path_params=BOOKING_ID,
        errors=("not_found",),
    ),
    Route(
        method="GET",
        path="/bookings/{id}/refund-quote",
        subject=subjects.REFUND_QUOTE,
        request=contracts.BookingPaymentId,
        reply=contracts.RefundQuote,
        summary="What cancelling now would refund, by the listing's cancellation policy (409: not cancellable)",
        tag="payments",
        path_params=BOOKING_ID,
        errors=("not_found", "conflict"),
    ),
    Route(
        method="GET",
        path="/me/payouts",
        subject=subjects.HOST_PAYOUTS,
        request=contracts.PayoutsRequest,
        reply=contracts.Payouts,
        summary="Your payouts as a host: held, released less fees, per booking (format=csv adds CSV text)",
        tag="payments",
        errors=("forbidden",),
    ),
    Route(
        method="GET",
        path="/admin/payments/{id}",
        subject=subjects.ADMIN_PAYMENTS,
        request=contracts.AdminPayments,
        reply=contracts.BookingPayments,
        summary="A booking's payments and refunds (admins)",
        tag="operators",
        path_params=BOOKING_ID,
        errors=("forbidden", "not_found"),
    ),
    Route(
        method="POST",
        path="/admin/payments/{id}/refunds",
        subject=subjects.REFUND_BOOKING,
        request=contracts.OperatorRefund,
        reply=contracts.BookingPayments,
        summary="Refund a booking's payments fully or in part, with a reason (admins)",
        tag="operators",
        path_params=BOOKING_ID,
        errors=("forbidden", "not_found", "conflict"),
    ),
    Route(
        method="GET",
        path="/admin/payments-reconciliation",
        subject=subjects.RECONCILE,
        request=Empty,
        reply=contracts.Reconciliation,
        summary="The ledger's charges and refunds compared with Stripe's (admins)",
        tag="operators",
        errors=("forbidden",),
    ),
]
