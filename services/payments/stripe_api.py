"""Stripe through its official SDK's async client: the one place Wardmate talks to Stripe.

Every object Wardmate creates carries its step (``charge:<payment>``, ``refund:<refund>``)
in its metadata and as its ``Idempotency-Key``. Real Stripe honours the key; localstripe
ignores it, so after a crash between Stripe's answer and Wardmate's commit the step is
found again by its metadata (``find_intent`` / ``find_refund``) before anything is created.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any, cast

import stripe
from stripe._base_address import BaseAddresses

from shared.errors import AppError
from shared.settings import Settings

STEP_KEY = "wardmate_step"
# Stripe's default: a signature older than this is refused (a replayed webhook).
WEBHOOK_TOLERANCE_S = 300
# Stripe's largest page of a list.
LIST_PAGE = 100


@dataclass(frozen=True)
class Intent:
    id: str
    status: str
    amount: int
    client_secret: str
    step: str | None
    failure: str | None
    booking_id: str | None = None
    # The payment method's id, and the card as a receipt names it ("Visa ending 4242"), when
    # Stripe expanded the method (``retrieve_intent``, ``confirm_intent``; a webhook's is an id).
    payment_method: str | None = None
    card: str | None = None

    @property
    def wardmate(self) -> bool:
        """Made by Wardmate (its metadata names a charge step or a booking), whether or not
        a payment still holds it."""
        return bool(self.booking_id) or (self.step or "").startswith("charge:")


@dataclass(frozen=True)
class RefundObject:
    id: str
    amount: int
    status: str
    step: str | None


def _plain(obj: Any) -> dict[str, Any]:
    """A Stripe object as a plain dict (the SDK's objects are not dicts; a webhook's are)."""
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


CARD_BRANDS = {
    "amex": "American Express",
    "diners": "Diners Club",
    "discover": "Discover",
    "jcb": "JCB",
    "mastercard": "Mastercard",
    "unionpay": "UnionPay",
    "visa": "Visa",
}


def card_words(card: Any) -> str | None:
    """A card as a receipt names it: its brand and last four digits, nothing more."""
    if not isinstance(card, dict):
        return None
    last4 = str(card.get("last4") or "")
    if len(last4) != 4 or not last4.isdigit():
        return None
    brand = str(card.get("brand") or "")
    return f"{CARD_BRANDS.get(brand, brand.title() or 'Card')} ending {last4}"


def intent_of(obj: Any) -> Intent:
    obj = _plain(obj)
    error = obj.get("last_payment_error") or None
    metadata = obj.get("metadata") or {}
    method = obj.get("payment_method")
    if method is not None and not isinstance(method, str):
        method = _plain(method)
    return Intent(
        id=obj["id"],
        status=obj["status"],
        amount=int(obj["amount"]),
        client_secret=obj.get("client_secret") or "",
        step=metadata.get(STEP_KEY),
        failure=(error.get("message") or error.get("code")) if error else None,
        booking_id=metadata.get("booking_id"),
        payment_method=method.get("id") if isinstance(method, dict) else method,
        # A PaymentMethod holds its card; a Card (a card_… id, which Stripe.js's tokens
        # give and localstripe's page makes) is one: its receipt said no card.
        card=card_words(method if method.get("object") == "card" else method.get("card"))
        if isinstance(method, dict)
        else None,
    )


def _refund(obj: Any) -> RefundObject:
    obj = _plain(obj)
    return RefundObject(obj["id"], int(obj["amount"]), obj["status"], (obj.get("metadata") or {}).get(STEP_KEY))


# The payment method inline: the receipt names the card it paid with.
EXPAND_METHOD: Any = {"expand": ["payment_method"]}


class StripeApi:
    """The calls payments makes, over one async HTTP client for the process."""

    def __init__(self, settings: Settings) -> None:
        base = BaseAddresses(api=settings.stripe_api_base) if settings.stripe_api_base else None
        self.http = stripe.AIOHTTPClient()
        self.client = stripe.StripeClient(
            settings.stripe_api_key, base_addresses=base, http_client=self.http, max_network_retries=2
        )
        self.webhook_secret = settings.stripe_webhook_secret

    async def close(self) -> None:
        await self.http.close_async()  # type: ignore[no-untyped-call]

    async def create_intent(self, step: str, amount_cents: int, metadata: dict[str, str]) -> Intent:
        intent = await self._call(
            self.client.v1.payment_intents.create_async(
                params={
                    "amount": amount_cents,
                    "currency": "usd",
                    "metadata": {**metadata, STEP_KEY: step},
                },
                options={"idempotency_key": step},
            )
        )
        return intent_of(intent)

    async def retrieve_intent(self, intent_id: str) -> Intent:
        """The intent as Stripe has it now; a not_found AppError when Stripe has none."""
        try:
            found = await self._call(self.client.v1.payment_intents.retrieve_async(intent_id, params=EXPAND_METHOD))
        except AppError as exc:
            if exc.code != "not_found":
                raise
            # The intent names a payment method Stripe cannot show (localstripe keeps a
            # made-up id that was refused): the intent alone, without its card.
            found = await self._call(self.client.v1.payment_intents.retrieve_async(intent_id))
        return intent_of(found)

    async def with_card(self, intent: Intent) -> Intent:
        """A succeeded intent with its card named, for the receipt (a webhook carries the
        payment method's id only). Stripe not answering leaves it without: the payment is
        recorded all the same."""
        if intent.status != "succeeded" or intent.card is not None or not intent.payment_method:
            return intent
        try:
            return await self.retrieve_intent(intent.id)
        except AppError:
            return intent

    async def confirm_intent(self, intent_id: str, payment_method: str) -> Intent:
        """Confirm with a payment method Stripe.js made (attached first: localstripe
        confirms only an intent that already has one; Stripe takes either)."""
        try:
            await self.client.v1.payment_intents.update_async(intent_id, params={"payment_method": payment_method})
            confirmed = await self.client.v1.payment_intents.confirm_async(intent_id, params=EXPAND_METHOD)
        except stripe.CardError as exc:
            raise card_refused(exc) from None
        except stripe.InvalidRequestError:
            # A payment method Stripe never made (a made-up id), or one it will not use.
            raise AppError(
                "validation",
                "Stripe refused this payment method",
                [{"field": "payment_method", "message": "not a payment method Stripe.js made for this payment"}],
            ) from None
        except stripe.StripeError as exc:
            raise AppError("unavailable", f"Stripe did not answer: {type(exc).__name__}") from None
        return intent_of(confirmed)

    async def cancel_intent(self, intent_id: str) -> Intent:
        """Cancel an intent that is still open; an AppError when Stripe refuses (it
        succeeded, or is being processed, meanwhile: read it again)."""
        return intent_of(await self._call(self.client.v1.payment_intents.cancel_async(intent_id)))

    async def find_intent(self, step: str) -> Intent | None:
        """The PaymentIntent a crashed attempt of ``step`` may have created."""
        for intent in await self.intents():
            if intent.step == step:
                return intent
        return None

    async def intents(self) -> list[Intent]:
        """Every PaymentIntent on the account."""
        return [intent_of(obj) for obj in await self._every(self.client.v1.payment_intents.list_async, {})]

    async def create_refund(self, step: str, intent_id: str, amount_cents: int) -> RefundObject:
        refund = await self._call(
            self.client.v1.refunds.create_async(
                params={"payment_intent": intent_id, "amount": amount_cents, "metadata": {STEP_KEY: step}},
                options={"idempotency_key": step},
            )
        )
        return _refund(refund)

    async def refunds_of(self, intent_id: str) -> list[RefundObject]:
        """Every refund of the intent, newest first: reconciliation sums them and
        ``find_refund`` looks a step up among them (it read the first 100 only, so a charge
        refunded in more parts than that read short at reconciliation)."""
        params = {"payment_intent": intent_id}
        return [_refund(obj) for obj in await self._every(self.client.v1.refunds.list_async, params)]

    async def find_refund(self, step: str, intent_id: str) -> RefundObject | None:
        for refund in await self.refunds_of(intent_id):
            if refund.step == step:
                return refund
        return None

    def verify_webhook(self, payload: str, signature: str) -> dict[str, Any]:
        """The event of a webhook whose ``Stripe-Signature`` is valid and fresh; else a
        validation error (the gateway answers 400 and nothing is recorded)."""
        try:
            stripe.WebhookSignature.verify_header(payload, signature, self.webhook_secret, WEBHOOK_TOLERANCE_S)
        except stripe.SignatureVerificationError:
            raise AppError("validation", "the Stripe-Signature does not verify") from None
        try:
            event = json.loads(payload)
        except ValueError:
            raise AppError("validation", "the webhook's body is not JSON") from None
        if (
            not isinstance(event, dict)
            or not isinstance(event.get("id"), str)
            or not isinstance(event.get("type"), str)
        ):
            raise AppError("validation", "the webhook's body is not a Stripe event")
        return event

    async def _every(self, list_async: Any, params: dict[str, Any]) -> list[Any]:
        """Every object of a Stripe list, page after page (``starting_after`` the last one
        read, while ``has_more``): a list call answers one page of at most ``limit``."""
        found: list[Any] = []
        query: dict[str, Any] = {**params, "limit": LIST_PAGE}
        while True:
            page = await self._call(list_async(params=cast(Any, query)))
            found += page.data
            if not page.has_more or not page.data:
                return found
            query["starting_after"] = page.data[-1]["id"]

    async def _call(self, call: Any) -> Any:
        try:
            return await call
        except stripe.CardError as exc:
            raise card_refused(exc) from None
        except stripe.InvalidRequestError as exc:
            if exc.http_status == 404:
                # Not there (a test account emptied): no retry will find it.
                raise AppError("not_found", "Stripe has no such object") from None
            raise AppError("unavailable", f"Stripe did not answer: {type(exc).__name__}") from None
        except stripe.StripeError as exc:
            # Stripe down or refusing: the step's row stays, and a retry finds or redoes it.
            raise AppError("unavailable", f"Stripe did not answer: {type(exc).__name__}") from None


def card_refused(exc: stripe.CardError) -> AppError:
    """A refused card in the guest's words (Stripe's own sentence, "Your card was
    declined."), and what to do about it."""
    said = (exc.user_message or "The card was refused.").strip()
    return AppError("conflict", f"{said} Try another card; nothing was charged.")


def step_id(kind: str, row_id: uuid.UUID) -> str:
    """The step's name in Stripe's metadata and its Idempotency-Key."""
    return f"{kind}:{row_id}"


def payment_of_step(step: str | None) -> uuid.UUID | None:
    """The payment a charge step names (``charge:<payment>``, ``charge:<payment>:r<n>``)."""
    parts = (step or "").split(":")
    if len(parts) < 2 or parts[0] != "charge":
        return None
    try:
        return uuid.UUID(parts[1])
    except ValueError:
        return None
