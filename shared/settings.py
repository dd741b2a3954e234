"""One settings class for every Wardmate process, read from ``WARDMATE_*`` variables."""

from __future__ import annotations

import ipaddress
import sys
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "change-me"
# localstripe's keys and webhook secret: what make run and the tests use, public in this code.
LOCALSTRIPE_API_KEY = "sk_test_localstripe"
LOCALSTRIPE_PUBLISHABLE_KEY = "pk_test_localstripe"
LOCALSTRIPE_WEBHOOK_SECRET = "whsec_localstripe"
# A session token's HMAC key: anything shorter can be searched.
MIN_SECRET_BYTES = 32


class Settings(BaseSettings):
    """Configuration shared by the services, the gateway and the embedded runner."""

    model_config = SettingsConfigDict(env_prefix="WARDMATE_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/wardmate"
    nats_url: str = "nats://127.0.0.1:4222"
    # Connect to the servers in the order listed (the first that answers) instead of a
    # random one: the runner gives each replica another order, spreading them on nodes.
    nats_ordered: bool = False
    http_host: str = "127.0.0.1"
    http_port: int = Field(8080, ge=0, le=65535)
    data_dir: Path = Path(".wardmate")
    log_level: str = "INFO"
    # Prometheus: this process serves /metrics on this port (none when unset; `make run`
    # gives each process a free one and lists them). 0.0.0.0 in containers.
    metrics_port: int | None = Field(None, ge=1, le=65535)
    metrics_host: str = "127.0.0.1"
    # Keys the HMACs of stored session tokens (changing it ends all sessions), of mailed
    # links and calendar feeds, and each listing's public offset (changing it moves none).
    secret_key: str = PLACEHOLDER_SECRET

    # Request-reply: how long the gateway waits for a service, and how many requests a
    # service process works on at once (nats-py runs a subscription's callback serially).
    request_timeout_s: float = Field(5.0, gt=0)
    # JetStream replicas of the events stream: 1 on one server, 3 on a NATS cluster.
    stream_replicas: int = Field(1, ge=1, le=5)
    handler_concurrency: int = Field(64, ge=1)
    db_pool_size: int = Field(10, ge=1)
    # Event consumers: attempts at a failing event before it goes to the dead-letter
    # stream, and the seconds to wait after each failed attempt (the last value repeats).
    event_max_deliver: int = Field(5, ge=1)
    event_retry_backoff_s: tuple[float, ...] = Field((1.0, 5.0, 30.0, 120.0), min_length=1)
    # Published outbox rows are deleted this long after they were sent (0 keeps them all):
    # the stream has the events, and a restore needs only the rows of events published
    # after its backup began (shared.retention).
    outbox_retention_days: float = Field(7.0, ge=0)
    # The events stream keeps an event this long (0: for ever); each inbox keeps the ids of
    # applied events a day longer, since none older can be delivered again. matching's
    # rebuild reads the owners' snapshots, so it needs no older events.
    stream_retention_days: float = Field(30.0, ge=0)

    # Where people write to Wardmate's operators: named to a suspended account that tries to
    # sign in or publish a room, and in the notices to the people who deal with it.
    support_email: str = Field("support@wardmate.test", pattern=r"^[^@\s]+@[^@\s]+$")

    # Accounts
    session_ttl_hours: int = Field(24 * 14, ge=1)
    token_cache_s: float = Field(5.0, ge=0)
    # Failed logins within the window: at one account from one client address (the usual
    # lock), at one account from all addresses together (many addresses guessing; kept above
    # the first, so a stranger's five guesses do not lock the owner out), from one address.
    login_max_failures_per_account_from_address: int = Field(5, ge=1)
    login_max_failures_per_account: int = Field(20, ge=1)
    login_max_failures_per_address: int = Field(20, ge=1)
    login_failure_window_s: int = Field(900, ge=1)

    # Mail (accounts sends every mail through one SMTP client). No host: mail is not sent
    # and its events wait in the stream (the consumer retries). ``public_url`` is where
    # links in mails point: the web client's origin.
    smtp_host: str | None = None
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = None
    # "starttls": upgrade a plain connection; "tls": TLS from the start (port 465); "none".
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_timeout_s: float = Field(10.0, gt=0)
    mail_from: str = "Wardmate <no-reply@wardmate.test>"
    public_url: str = "http://127.0.0.1:8080"
    email_verify_ttl_hours: float = Field(48.0, gt=0)
    password_reset_ttl_hours: float = Field(1.0, gt=0)
    # Verification resends per user, reset requests per address and per client address,
    # within ``mail_rate_window_s``.
    verify_resend_limit: int = Field(3, ge=1)
    reset_limit_per_email: int = Field(3, ge=1)
    reset_limit_per_address: int = Field(20, ge=1)
    mail_rate_window_s: int = Field(3600, ge=1)
    # The daily digest of unread messages goes out once a day after this hour (UTC);
    # the job looks every ``digest_check_s``.
    digest_enabled: bool = True
    digest_hour_utc: int = Field(7, ge=0, le=23)
    digest_check_s: float = Field(300.0, gt=0)
    # Match suggestions are mailed together: the first waits this long for the others that
    # come with it (a new rotation brings its rooms and mentors within a second).
    suggestion_mail_wait_s: float = Field(60.0, ge=0)

    # Listings
    booking_request_ttl_hours: float = Field(48.0, gt=0)
    # Booking requests one guest may make within ``booking_request_window_s``, of one room
    # and of all rooms (withdrawn, declined and expired ones count: each one reached the
    # host as a conversation, a notification and a mail). Far above what a student asking
    # several rooms for each of their rotations needs; what a request/cancel loop hits.
    booking_requests_per_listing: int = Field(5, ge=1)
    booking_requests_per_guest: int = Field(30, ge=1)
    booking_request_window_s: int = Field(24 * 3600, ge=1)
    expiry_sweep_s: float = Field(60.0, gt=0)

    # Matching: mentorship requests one student may make within
    # ``mentorship_request_window_s``, of one mentor and of all (withdrawn and declined ones
    # count: each reached the mentor as a conversation, a notification and a mail, and a
    # withdrawal as another). A student asks a few mentors per rotation; a mentor who
    # declined is not asked again and again.
    mentorship_requests_per_mentor: int = Field(3, ge=1)
    mentorship_requests_per_student: int = Field(20, ge=1)
    mentorship_request_window_s: int = Field(7 * 24 * 3600, ge=1)

    # Messaging: messages one user may send per minute (counted in the database, so the
    # limit holds across replicas), and how long stored live pushes are kept for replay.
    message_rate_per_minute: int = Field(30, ge=1)
    push_retention_hours: float = Field(24 * 7, gt=0)

    # Payments: Stripe's keys, or localstripe's URL (``make run`` and the tests start one
    # and set it); the web client loads Stripe.js from stripe_js_url, the one script origin
    # the Content-Security-Policy allows besides the gateway's own.
    stripe_api_key: str = LOCALSTRIPE_API_KEY
    stripe_publishable_key: str = LOCALSTRIPE_PUBLISHABLE_KEY
    stripe_api_base: str | None = None
    stripe_webhook_secret: str = LOCALSTRIPE_WEBHOOK_SECRET
    stripe_js_url: str = "https://js.stripe.com/v3/"
    host_fee_percent: Decimal = Field(Decimal(3), ge=0, lt=100)
    # The guest pays within this long of the host's acceptance (or before check-in).
    payment_window_hours: float = Field(48.0, gt=0)
    payment_sweep_s: float = Field(30.0, gt=0)
    # Mentoring plans and letters (matching): how often reminders are looked for. The
    # clock offset moves every rule that reads the time (reminders, expiry, stalled pairs)
    # forward: tests use it instead of sleeping; it stays 0 anywhere real. Payments' clock
    # too (the deadline to pay, the release 24 h after check-in).
    # Mentoring plans and letters (matching): how often reminders are looked for.
    reminder_sweep_s: float = Field(60.0, gt=0)

    # The clock every time rule reads (shared.clock): this offset moves it forward for
    # reminders, expiry, release of held payments, links' validity, the digest. Tests use
    # it instead of sleeping; it stays 0 anywhere real.
    clock_offset_s: float = 0.0

    # Gateway
    max_body_bytes: int = Field(256 * 1024, ge=1024)
    # Per client address and gateway replica; 0 turns the limit off.
    rate_limit_per_s: float = Field(50.0, ge=0)
    rate_limit_burst: int = Field(200, ge=1)
    # The gateway's health answers 503 "starting" until this file exists (make run creates
    # it once the demo data is loaded): ready means usable.
    ready_file: Path | None = None
    # Load balancers / reverse proxies in front of the gateway, comma-separated addresses
    # or networks (10.0.0.0/8, 192.168.1.7): from them alone, X-Forwarded-For or
    # Forwarded names the client whose address the rate limit and login throttle count.
    trusted_proxies: str = ""
    # Secure cookies need HTTPS; on by default in production, off for local http.
    cookie_secure: bool = False

    # Gateway WebSocket (/api/v1/ws). Frames waiting for one socket before it is dropped
    # with 1013 (it catches up on reconnect): what bounds a slow client's memory.
    ws_queue_frames: int = Field(256, ge=1)
    # Protocol pings; a socket whose pong is later than half of this is closed.
    ws_heartbeat_s: float = Field(25.0, gt=0)
    # A client frame over this gets an error frame (the socket stays up); over 16 times
    # this, the WebSocket layer itself closes with 1009.
    ws_max_message_bytes: int = Field(64 * 1024, ge=1024)
    # Sockets without a credential in the handshake must send an auth frame this soon.
    ws_auth_timeout_s: float = Field(5.0, gt=0)
    # How long a close waits for the client's close frame before the connection is cut.
    ws_close_timeout_s: float = Field(2.0, gt=0)
    ws_max_sockets_per_user: int = Field(16, ge=1)

    # The web client's map of a listing: a tile server's URL template (Leaflet's, e.g.
    # https://tile.openstreetmap.org/{z}/{x}/{y}.png, {s} for subdomains) and the credit
    # its terms ask for. No URL, no map (the distance and direction are always shown).
    map_tile_url: str | None = Field(None, pattern=r"^https?://[^/?#\s]+/[^\s]*\{z\}[^\s]*\{x\}[^\s]*\{y\}[^\s]*$")
    map_attribution: str = "© OpenStreetMap contributors"

    # Photos and documents (issue #17). Object storage: files under data_dir/storage, or an
    # S3-compatible bucket (AWS S3, MinIO, Ceph, R2) when storage is "s3".
    storage: Literal["fs", "s3"] = "fs"
    s3_endpoint_url: str | None = None
    s3_bucket: str = "wardmate"
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    # Uploads: bytes per file (refused while streaming), photos per listing, uploads one
    # user may start per minute (per gateway replica), and pixels a decoded image may have.
    upload_max_bytes: int = Field(15 * 1024 * 1024, ge=1024)
    photos_per_listing: int = Field(20, ge=1)
    upload_rate_per_minute: int = Field(30, ge=1)
    image_max_pixels: int = Field(50_000_000, ge=10_000)
    # How long the gateway waits for a service to take an upload (decoding is slow).
    upload_timeout_s: float = Field(60.0, gt=0)
    # Processes decoding and re-encoding images beside a service's event loop.
    image_workers: int = Field(1, ge=1)
    # Their niceness (0-19): above 0 they give way to the services' requests for CPU.
    image_worker_nice: int = Field(10, ge=0, le=19)
    # Uploads in flight older than this are swept (their request died), every sweep_s.
    upload_tmp_ttl_s: float = Field(3600.0, gt=0)
    upload_sweep_s: float = Field(300.0, gt=0)
    # Verification documents: pages a PDF may have, days kept after the decision.
    pdf_max_pages: int = Field(20, ge=1)
    document_retention_days: float = Field(30.0, ge=0)
    # Documents one user may have waiting for an operator at once: pending ones are kept
    # until decided, so without a bound one account could fill the store and the queue.
    document_max_pending: int = Field(5, ge=1)

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: str) -> str:
        for item in filter(None, (part.strip() for part in value.split(","))):
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network (e.g. 10.0.0.0/8)") from None
        return value

    @model_validator(mode="after")
    def _enforce_real_secret(self) -> Settings:
        if self.environment == "production" and self.secret_key == PLACEHOLDER_SECRET:
            raise ValueError("WARDMATE_SECRET_KEY is the placeholder; set a real secret in production")
        if self.environment == "production" and len(self.secret_key.encode()) < MIN_SECRET_BYTES:
            raise ValueError(
                f"WARDMATE_SECRET_KEY is {len(self.secret_key.encode())} bytes; production needs at least"
                f" {MIN_SECRET_BYTES} (e.g. openssl rand -hex 32, kept in .env)"
            )
        if (
            self.environment == "production"
            and self.stripe_webhook_secret == LOCALSTRIPE_WEBHOOK_SECRET
            and self.stripe_api_key != LOCALSTRIPE_API_KEY
        ):
            # Real Stripe keys with the public placeholder: anyone could sign a forged
            # payment_intent.succeeded and confirm a stay (revealing its address) unpaid.
            raise ValueError(
                "WARDMATE_STRIPE_WEBHOOK_SECRET is localstripe's placeholder while WARDMATE_STRIPE_API_KEY is a"
                " real key; set the webhook endpoint's signing secret (Stripe Dashboard > Developers > Webhooks)"
            )
        if (
            self.environment == "production"
            and self.stripe_publishable_key == LOCALSTRIPE_PUBLISHABLE_KEY
            and self.stripe_api_key != LOCALSTRIPE_API_KEY
        ):
            # Stripe.js in the guest's browser would get a key Stripe does not know: the
            # service starts, and then no guest can pay.
            raise ValueError(
                "WARDMATE_STRIPE_PUBLISHABLE_KEY is localstripe's placeholder while WARDMATE_STRIPE_API_KEY is a"
                " real key; set the publishable key of the same Stripe account (Dashboard > Developers > API keys)"
            )
        if self.environment == "production" and "cookie_secure" not in self.model_fields_set:
            self.cookie_secure = True
        return self

    @property
    def nats_servers(self) -> list[str]:
        """``WARDMATE_NATS_URL`` may list several servers of a cluster, comma-separated."""
        return [u.strip() for u in self.nats_url.split(",") if u.strip()]


def load_settings() -> Settings:
    """``Settings()`` for a command's entry point: a bad value ends the process with one
    line per variable, naming it and what it must be, instead of pydantic's traceback."""
    try:
        return Settings()
    except ValidationError as exc:
        for error in exc.errors():
            message = error["msg"].removeprefix("Value error, ")
            if not error["loc"]:  # a rule across fields: its message names the variables
                print(f"configuration error: {message}", file=sys.stderr)
                continue
            name = "WARDMATE_" + "_".join(str(part) for part in error["loc"]).upper()
            value = error.get("input")
            shown = f"={value!r}" if isinstance(value, str | int | float) else ""
            print(f"configuration error: {name}{shown}: {message}", file=sys.stderr)
        raise SystemExit(2) from None
