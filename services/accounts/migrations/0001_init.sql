CREATE TABLE users (
    id            uuid PRIMARY KEY,
    email         text NOT NULL,
    password_hash text NOT NULL,
    display_name  text NOT NULL,
    role          text NOT NULL CHECK (role IN ('student', 'professional', 'admin')),
    created_at    timestamptz NOT NULL DEFAULT now()
);
-- Emails are case-insensitive and unique.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE profiles (
    user_id    uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    data       jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sessions (
    token_hash  bytea PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE login_failures (
    id       bigserial PRIMARY KEY,
    email    text NOT NULL,
    address  text,
    at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_email ON login_failures (email, at);
CREATE INDEX login_failures_address ON login_failures (address, at);

CREATE TABLE verifications (
    user_id         uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('npi', 'license')),
    npi             text,
    license_number  text,
    license_state   text,
    status          text NOT NULL CHECK (status IN ('pending', 'verified')),
    submitted_at    timestamptz NOT NULL DEFAULT now(),
    verified_at     timestamptz,
    verified_by     uuid
);
