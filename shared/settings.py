"""One settings class for every Wardmate process, read from ``WARDMATE_*`` variables."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "change-me"


class Settings(BaseSettings):
    """Configuration shared by the services, the gateway and the embedded runner."""

    model_config = SettingsConfigDict(env_prefix="WARDMATE_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/wardmate"
    nats_url: str = "nats://127.0.0.1:4222"
    http_host: str = "127.0.0.1"
    http_port: int = Field(8080, ge=0, le=65535)
    data_dir: Path = Path(".wardmate")
    log_level: str = "INFO"
    # Prometheus: this process serves /metrics on this port (none when unset; `make run`
    # gives each process a free one and lists them). 0.0.0.0 in containers.
    metrics_port: int | None = Field(None, ge=1, le=65535)
    metrics_host: str = "127.0.0.1"
    # Keys the HMAC under which session tokens are stored (changing it ends all sessions).
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

    # Accounts
    session_ttl_hours: int = Field(24 * 14, ge=1)
    token_cache_s: float = Field(5.0, ge=0)
    login_max_failures_per_account: int = Field(5, ge=1)
    login_max_failures_per_address: int = Field(20, ge=1)
    login_failure_window_s: int = Field(900, ge=1)

    # Listings
    booking_request_ttl_hours: float = Field(48.0, gt=0)
    expiry_sweep_s: float = Field(60.0, gt=0)

    # Messaging: messages one user may send per minute (counted in the database, so the
    # limit holds across replicas), and how long stored live pushes are kept for replay.
    message_rate_per_minute: int = Field(30, ge=1)
    push_retention_hours: float = Field(24 * 7, gt=0)

    # Payments: Stripe's keys, or localstripe's URL (``make run`` and the tests start one
    # and set it); the web client loads Stripe.js from stripe_js_url, the one script origin
    # the Content-Security-Policy allows besides the gateway's own.
    stripe_api_key: str = "sk_test_localstripe"
    stripe_publishable_key: str = "pk_test_localstripe"
    stripe_api_base: str | None = None
    stripe_webhook_secret: str = "whsec_localstripe"
    stripe_js_url: str = "https://js.stripe.com/v3/"
    host_fee_percent: Decimal = Field(Decimal(3), ge=0, lt=100)
    # The guest pays within this long of the host's acceptance (or before check-in).
    payment_window_hours: float = Field(48.0, gt=0)
    payment_sweep_s: float = Field(30.0, gt=0)
    # Mentoring plans and letters (matching): how often reminders are looked for. The
    # clock offset moves every rule that reads the time (reminders, expiry, stalled pairs)
    # forward: tests use it instead of sleeping; it stays 0 anywhere real. Payments' clock
    # too (the deadline to pay, the release 24 h after check-in).
    reminder_sweep_s: float = Field(60.0, gt=0)
    clock_offset_s: float = 0.0

    # Gateway
    max_body_bytes: int = Field(256 * 1024, ge=1024)
    # Per client address and gateway replica; 0 turns the limit off.
    rate_limit_per_s: float = Field(50.0, ge=0)
    rate_limit_burst: int = Field(200, ge=1)
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

    @model_validator(mode="after")
    def _enforce_real_secret(self) -> Settings:
        if self.environment == "production" and self.secret_key == PLACEHOLDER_SECRET:
            raise ValueError("WARDMATE_SECRET_KEY is the placeholder; set a real secret in production")
        if self.environment == "production" and "cookie_secure" not in self.model_fields_set:
            self.cookie_secure = True
        return self

    @property
    def nats_servers(self) -> list[str]:
        """``WARDMATE_NATS_URL`` may list several servers of a cluster, comma-separated."""
        return [u.strip() for u in self.nats_url.split(",") if u.strip()]
