"""Shared plumbing that needs no server: settings, errors, cursors, contracts."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from services.accounts import domain as accounts
from shared.contracts.accounts import ProfileFields, VerificationRequest, npi_is_valid
from shared.contracts.listings import ListingCreate, ListingSearch
from shared.contracts.mentoring import GoalCreate
from shared.contracts.messaging import MessageSend
from shared.errors import HTTP_STATUS, AppError
from shared.paging import (
    OTHER_SEARCH,
    decode_cursor,
    decode_key,
    decode_newest_first,
    encode_cursor,
    instant,
    integer,
    next_page,
    number,
    query_digest,
    row_id,
)
from shared.settings import Settings


def test_settings_refuse_placeholder_secret_in_production() -> None:
    with pytest.raises(ValidationError):
        Settings(environment="production")
    prod = Settings(environment="production", secret_key="s3cret-value" * 3)
    assert prod.cookie_secure is True
    assert Settings().cookie_secure is False


def test_settings_refuse_a_short_secret_in_production() -> None:
    """Not only the placeholder: any key under 32 bytes can be searched."""
    with pytest.raises(ValidationError, match="31 bytes; production needs at least 32"):
        Settings(environment="production", secret_key="x" * 31)
    assert Settings(environment="development", secret_key="short").secret_key == "short"


def test_settings_refuse_real_stripe_keys_with_the_placeholder_webhook_secret_in_production() -> None:
    """Anyone can sign with the public placeholder: a forged payment_intent.succeeded would
    confirm a stay unpaid. localstripe's own pair (the keyless compose demo) still starts."""
    secret = "s3cret-value" * 3
    with pytest.raises(ValidationError, match="WARDMATE_STRIPE_WEBHOOK_SECRET is localstripe's placeholder"):
        Settings(environment="production", secret_key=secret, stripe_api_key="sk_live_abc")
    Settings(environment="production", secret_key=secret)  # localstripe's pair: allowed
    Settings(
        environment="production",
        secret_key=secret,
        stripe_api_key="sk_live_abc",
        stripe_webhook_secret="whsec_r",
        stripe_publishable_key="pk_live_abc",
    )
    Settings(stripe_api_key="sk_test_real")  # outside production: allowed


def test_settings_refuse_a_real_stripe_key_with_the_placeholder_publishable_key_in_production() -> None:
    """Stripe.js would get a key Stripe does not know: the service would start and no guest could pay."""
    secret = "s3cret-value" * 3
    real = {"secret_key": secret, "stripe_api_key": "sk_live_abc", "stripe_webhook_secret": "whsec_r"}
    with pytest.raises(ValidationError, match="WARDMATE_STRIPE_PUBLISHABLE_KEY is localstripe's placeholder"):
        Settings(environment="production", **real)
    Settings(environment="production", stripe_publishable_key="pk_live_abc", **real)
    Settings(environment="production", secret_key=secret)  # localstripe's keys: allowed
    Settings(stripe_api_key="sk_test_real")  # outside production: allowed


def test_a_bad_setting_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from shared.settings import load_settings

    monkeypatch.setenv("WARDMATE_HTTP_PORT", "abc")
    with pytest.raises(SystemExit) as ended:
        load_settings()
    assert ended.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [
        "configuration error: WARDMATE_HTTP_PORT='abc': Input should be a valid integer,"
        " unable to parse string as an integer"
    ]


def test_settings_read_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARDMATE_HTTP_PORT", "9123")
    monkeypatch.setenv("WARDMATE_NATS_URL", "nats://a:4222, nats://b:4222")
    s = Settings()
    assert s.http_port == 9123 and s.nats_servers == ["nats://a:4222", "nats://b:4222"]


def test_every_error_code_has_a_status() -> None:
    assert HTTP_STATUS["conflict"] == 409 and HTTP_STATUS["unavailable"] == 503
    err = AppError("not_found", "listing not found")
    assert err.status == 404 and err.to_dict() == {
        "error": {"code": "not_found", "message": "listing not found", "details": None}
    }


def test_cursor_round_trip_and_tampering() -> None:
    cursor = encode_cursor(12.5, "abc")
    assert decode_cursor(cursor, 2) == [12.5, "abc"]
    for bad in ("%%%", encode_cursor(1), "bm90IGpzb24"):
        with pytest.raises(AppError) as err:
            decode_cursor(bad, 2)
        assert err.value.code == "validation"


ID = "5a8dbb14-6e53-41e1-ad45-da6eacdeb88e"


def raw_cursor(raw: bytes) -> str:
    """A cursor of any bytes, as a client could forge one."""
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def refused(cursor: str, *values: Any, bound_to: str | None = None) -> AppError:
    with pytest.raises(AppError) as err:
        decode_key(cursor, *values, bound_to=bound_to)
    assert err.value.code == "validation"
    return err.value


def test_a_cursor_key_is_read_as_its_columns_type_and_range() -> None:
    """Audit 4, D1: a rent past int4 and times that leave years 1-9999 once in UTC reached
    SQL and answered 500; each value is now read as its column's type, or the cursor is a 400."""
    rent = integer(1, 2**31 - 1)
    assert decode_key(encode_cursor(2**31 - 1, ID), rent, row_id) == (2**31 - 1, uuid.UUID(ID))
    for key in (2**31, 2**62, 0, -1, 1.5, True, "900", None, [1]):
        refused(encode_cursor(key, ID), rent, row_id)
    for bad_id in (ID.upper(), ID.replace("-", ""), "x", 5):
        refused(encode_cursor(900, bad_id), rent, row_id)
    chord = number(0, 12_756_336.0)
    assert decode_key(encode_cursor(1100, ID), chord, row_id) == (1100.0, uuid.UUID(ID))
    for key in (-0.5, 2e7, True, "1"):
        refused(encode_cursor(key, ID), chord, row_id)
    for raw in (b'[1e999, "%s"]' % ID.encode(), b'[NaN, "%s"]' % ID.encode()):
        refused(raw_cursor(raw), chord, row_id)
    # Times carry their offset and are read in UTC, within Python's (and Postgres') years.
    when = decode_key(encode_cursor("2026-12-05T06:33:00-05:00", ID), instant, row_id)[0]
    assert when == datetime(2026, 12, 5, 11, 33, tzinfo=UTC)
    for key in ("9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+05:00", "2026-01-01T00:00:00", "soon", 5):
        refused(encode_cursor(key, ID), instant, row_id)
    assert decode_newest_first(encode_cursor("9999-12-31T23:00:00+00:00", ID)) is not None
    refused(encode_cursor(900, ID, "extra"), rent, row_id)  # another arity


def test_a_bound_cursor_pages_only_the_query_that_made_it() -> None:
    """Audit 4, D2: a cursor carries its query's digest; another query's is refused, saying so."""
    price = query_digest({"sort": "price", "max_rent": 1200, "amenities": ["desk", "wifi"]})
    assert price == query_digest({"amenities": ["desk", "wifi"], "max_rent": 1200, "sort": "price"})
    distance = query_digest({"sort": "distance", "max_rent": 1200, "amenities": ["desk", "wifi"]})
    rows = [{"rent": 900 + i, "id": uuid.UUID(int=i)} for i in range(3)]
    _, cursor = next_page(rows, 2, key=lambda r: (r["rent"], r["id"]), bound_to=price)
    assert cursor is not None
    rent = integer(1, 2**31 - 1)
    assert decode_key(cursor, rent, row_id, bound_to=price) == (901, uuid.UUID(int=1))
    assert refused(cursor, rent, row_id, bound_to=distance) is OTHER_SEARCH
    unbound = encode_cursor(901, str(uuid.UUID(int=1)))
    assert refused(unbound, rent, row_id, bound_to=price) is not OTHER_SEARCH  # malformed: an old cursor


@pytest.mark.parametrize(
    "npi, ok",
    [("1234567893", True), ("1234567890", False), ("123456789", False), ("12345678a3", False), ("1245319599", True)],
)
def test_npi_check_digit(npi: str, ok: bool) -> None:
    assert npi_is_valid(npi) is ok


def test_verification_needs_npi_or_licence_with_state() -> None:
    assert VerificationRequest(license_number="MD12345", license_state="MD").license_state == "MD"
    for bad in (
        {},
        {"license_number": "MD12345"},
        {"license_number": "MD12345", "license_state": "md"},  # codes as the standard writes them
        {"license_number": "MD1", "license_state": "ZZ"},
        {"npi": "1234567893", "license_number": "X123", "license_state": "MD"},
    ):
        with pytest.raises(ValidationError):
            VerificationRequest(**bad)


def test_profile_codes_validated_against_iso() -> None:
    p = ProfileFields(school_country="NG", languages=["en", "yor", "en"], specialties=["  Internal   Medicine "])
    assert p.school_country == "NG" and p.languages == ["en", "yor"] and p.specialties == ["internal medicine"]
    bad_codes = ({"school_country": "XX"}, {"school_country": "ng"}, {"languages": ["zz"]}, {"languages": ["EN"]})
    for bad in (*bad_codes, {"graduation_year": 1800}):
        with pytest.raises(ValidationError):
            ProfileFields(**bad)


def test_student_cannot_set_professional_fields() -> None:
    with pytest.raises(AppError) as err:
        accounts.merge_profile({}, ProfileFields(open_to_mentoring=True), "student")
    assert err.value.code == "validation"
    merged = accounts.merge_profile({"bio": "a"}, ProfileFields(open_to_mentoring=True), "professional")
    assert merged == {"bio": "a", "open_to_mentoring": True}


def test_passwords_are_argon2id_and_tokens_hmac() -> None:
    h = accounts.hash_password("correct horse")
    assert h.startswith("$argon2id$")
    assert accounts.verify_password(h, "correct horse") and not accounts.verify_password(h, "wrong")
    assert not accounts.verify_password(None, "anything")
    token, digest = accounts.new_token("k1")
    assert accounts.token_hash(token, "k1") == digest != accounts.token_hash(token, "k2")


def test_listing_and_search_validation() -> None:
    base = {
        "title": "Room",
        "room_type": "private_room",
        "address": "1 Main St",
        "latitude": 1,
        "longitude": 2,
        "monthly_rent": 900,
        "available_from": "2027-01-01",
        "available_to": "2027-02-01",
    }
    assert ListingCreate(**base).min_stay_nights == 7
    for bad in ({"monthly_rent": 0}, {"latitude": -91}, {"available_to": "2026-12-01"}, {"extra": 1}):
        with pytest.raises(ValidationError):
            ListingCreate(**{**base, **bad})
    s = ListingSearch.model_validate(
        {"near": "39.3,-76.6", "amenities": ["WiFi", "parking"], "from": "2027-01-01", "to": "2027-01-20"}
    )
    assert s.point() == (39.3, -76.6) and s.amenities == ["wifi", "parking"]
    assert ListingSearch().sort == "newest"  # no location: distance ordering is meaningless
    for bad in (
        {"near": "1,2,3"},
        {"near": "95,0"},
        {"from": "2027-01-01"},
        {"hospital_id": "x", "near": "1,2"},
        {"from": "2027-01-05", "to": "2027-01-01"},
        {"from": "2027-01-01", "to": "2028-01-03"},  # 367 nights: booking refuses it (audit 4, D10)
    ):
        with pytest.raises(ValidationError):
            ListingSearch.model_validate(bad)
    assert ListingSearch.model_validate({"from": "2027-01-01", "to": "2028-01-02"}).to is not None  # 366


@pytest.mark.parametrize("text", ["\u200b", "\u200b\u200c\u200d", " \u2060 ", "\xad", "\u180e\u2063"])
def test_required_text_of_invisible_characters_alone_is_refused(text: str) -> None:
    """A goal titled with a zero-width space, a message of word joiners: text that shows
    nothing is as empty as spaces, for every field that needs words."""
    with pytest.raises(ValidationError) as caught:
        GoalCreate.model_validate({"mentorship_id": str(uuid.uuid4()), "title": text})
    assert caught.value.errors()[0]["loc"] == ("title",)
    with pytest.raises(ValidationError):
        MessageSend.model_validate({"conversation_id": str(uuid.uuid4()), "body": text})


def test_invisible_characters_inside_words_stay() -> None:
    """Persian joins names with a non-joiner, emoji sequences use the joiner."""
    for text in ("محمد\u200cرضا", "👩\u200d⚕️", "a\u200bb"):
        assert MessageSend.model_validate({"conversation_id": str(uuid.uuid4()), "body": text}).body == text
