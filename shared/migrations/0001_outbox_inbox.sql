-- Every service schema gets the same event tables (applied before the service's own).
CREATE TABLE IF NOT EXISTS outbox (
    event_id    uuid PRIMARY KEY,
    subject     text NOT NULL,
    payload     bytea NOT NULL,
    headers     jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz
);
CREATE INDEX IF NOT EXISTS outbox_unsent ON outbox (created_at) WHERE sent_at IS NULL;

CREATE TABLE IF NOT EXISTS inbox (
    consumer    text NOT NULL,
    event_id    uuid NOT NULL,
    subject     text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
