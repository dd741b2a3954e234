-- Account lifecycle (issue 18): email verification, password reset, email change,
-- sessions a user can list and revoke, notification preferences and the daily digest.
ALTER TABLE users ADD COLUMN email_verified_at timestamptz;
-- Accounts from before verification existed keep working as they did.
UPDATE users SET email_verified_at = created_at;

-- A session's public id (for listing and revoking it), the fingerprint under which
-- gateways cache it and close its sockets (sha256 of the token, as they compute it),
-- the device it was started from, and when it was last resolved.
ALTER TABLE sessions ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid();
ALTER TABLE sessions ADD COLUMN fingerprint text;
ALTER TABLE sessions ADD COLUMN user_agent text;
ALTER TABLE sessions ADD COLUMN last_seen_at timestamptz NOT NULL DEFAULT now();
CREATE UNIQUE INDEX sessions_id ON sessions (id);

-- The nonces of single-use links once used: a second click finds its nonce here.
CREATE TABLE used_links (
    nonce    text PRIMARY KEY,
    purpose  text NOT NULL,
    used_at  timestamptz NOT NULL DEFAULT now()
);

-- Mails asked for, counted for rate limits (verification resends, reset requests).
CREATE TABLE mail_requests (
    id       bigserial PRIMARY KEY,
    purpose  text NOT NULL,
    user_id  uuid,
    email    text,
    address  text,
    at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mail_requests_user ON mail_requests (purpose, user_id, at);
CREATE INDEX mail_requests_email ON mail_requests (purpose, email, at);
CREATE INDEX mail_requests_address ON mail_requests (purpose, address, at);

-- A user's mail preferences: the notification kinds they turned off, and the digest.
CREATE TABLE mail_preferences (
    user_id        uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    muted_kinds    text[] NOT NULL DEFAULT '{}',
    digest         boolean NOT NULL DEFAULT true,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- One digest per user and day.
CREATE TABLE digests (
    user_id  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day      date NOT NULL,
    unread   integer NOT NULL,
    PRIMARY KEY (user_id, day)
);

-- The private calendar feed's generation: rotating the link raises it, and tokens of an
-- older generation answer 404.
ALTER TABLE users ADD COLUMN calendar_generation integer NOT NULL DEFAULT 1;
