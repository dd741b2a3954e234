-- Every pair one user has blocked, lifted or not, and how often its state changed: the
-- version of its block events (events.messaging.user.blocked / .unblocked), which listings
-- and matching project to refuse the pair's requests. The block itself is the row of
-- blocks; this row stays when it is lifted, so the next change's version is higher still.
-- id names the pair for good: the snapshot pages (a projection's rebuild) run in its order.
CREATE TABLE block_versions (
    blocker_id  uuid NOT NULL,
    blocked_id  uuid NOT NULL,
    id          uuid NOT NULL UNIQUE,
    version     integer NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);

-- The blocks made before: version 1, and their event through the outbox, as a block now
-- sends it, so the projections start with them.
INSERT INTO block_versions (blocker_id, blocked_id, id, version)
SELECT blocker_id, blocked_id, gen_random_uuid(), 1 FROM blocks;
WITH made AS MATERIALIZED (
    SELECT gen_random_uuid() AS event_id, b.created_at, v.*
    FROM blocks b JOIN block_versions v USING (blocker_id, blocked_id)
)
INSERT INTO outbox (event_id, subject, payload)
SELECT
    event_id,
    'events.messaging.user.blocked',
    convert_to(
        jsonb_build_object(
            'event_id', event_id,
            'occurred_at', created_at,
            'block', jsonb_build_object(
                'pair_id', id, 'blocker_id', blocker_id, 'blocked_id', blocked_id, 'blocked', true, 'version', version
            )
        )::text,
        'UTF8'
    )
FROM made
ORDER BY created_at;
