-- Users as messaging sees them: a projection of accounts' events (never read across
-- schemas). version 0: filled from accounts' reply before the user's first event arrived,
-- so any event's snapshot replaces it.
CREATE TABLE users (
    user_id       uuid PRIMARY KEY,
    display_name  text,
    role          text,
    verified      boolean NOT NULL DEFAULT false,
    version       integer NOT NULL
);

-- Listing titles for notification texts and booking conversations, from listings' events.
CREATE TABLE listings (
    listing_id  uuid PRIMARY KEY,
    title       text NOT NULL,
    version     integer NOT NULL
);

CREATE TABLE conversations (
    id                uuid PRIMARY KEY,
    kind              text NOT NULL CHECK (kind IN ('direct', 'booking', 'mentorship')),
    -- Every conversation has two participants, the smaller id first, so a direct
    -- conversation is unique per pair whoever starts it.
    user_low          uuid NOT NULL,
    user_high         uuid NOT NULL,
    -- The booking or mentorship a conversation is about, its status and the version of
    -- the event that told us (only newer events change them). NULL for direct ones.
    subject_id        uuid,
    subject_status    text,
    subject_version   integer NOT NULL DEFAULT 0,
    listing_id        uuid,
    last_seq          bigint NOT NULL DEFAULT 0,
    last_message_id   uuid,
    created_at        timestamptz NOT NULL DEFAULT now(),
    last_activity_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT conversations_pair CHECK (user_low < user_high),
    CONSTRAINT conversations_subject CHECK ((kind = 'direct') = (subject_id IS NULL))
);
CREATE UNIQUE INDEX conversations_direct_pair ON conversations (user_low, user_high) WHERE kind = 'direct';
CREATE UNIQUE INDEX conversations_about ON conversations (kind, subject_id) WHERE subject_id IS NOT NULL;

CREATE TABLE participants (
    conversation_id   uuid NOT NULL REFERENCES conversations (id),
    user_id           uuid NOT NULL,
    -- Messages up to this conversation seq are read; unread = later ones from others.
    last_read_seq     bigint NOT NULL DEFAULT 0,
    -- The conversation's activity, copied here so each user's inbox is one index walk.
    last_activity_at  timestamptz NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX participants_inbox ON participants (user_id, last_activity_at DESC, conversation_id DESC);

CREATE TABLE messages (
    id                 uuid PRIMARY KEY,
    conversation_id    uuid NOT NULL REFERENCES conversations (id),
    -- Position in the conversation: 1, 2, 3, ... assigned under the conversation's lock.
    seq                bigint NOT NULL,
    sender_id          uuid,  -- NULL: a system message
    body               text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 4000),
    client_message_id  text,
    -- A scam warning in words, shown to the recipient, and the rules that raised it.
    warning            text,
    warning_rules      text[] NOT NULL DEFAULT '{}',
    created_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT messages_seq UNIQUE (conversation_id, seq),
    -- A resent message (same client id) is the stored one: INSERT ... ON CONFLICT.
    CONSTRAINT messages_client_id UNIQUE (conversation_id, sender_id, client_message_id)
);
-- The per-user send rate is counted over this index.
CREATE INDEX messages_sender_recent ON messages (sender_id, created_at) WHERE sender_id IS NOT NULL;
CREATE INDEX messages_flagged ON messages (created_at) WHERE warning IS NOT NULL;

-- Live pushes: each user's frames numbered 1, 2, 3, ... (user_seqs holds the counter,
-- bumped in the transaction that stores the frame), kept for replay for a while.
CREATE TABLE user_seqs (
    user_id   uuid PRIMARY KEY,
    last_seq  bigint NOT NULL
);
CREATE TABLE pushes (
    user_id     uuid NOT NULL,
    seq         bigint NOT NULL,
    type        text NOT NULL,
    data        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, seq)
);
CREATE INDEX pushes_age ON pushes (created_at);

CREATE TABLE notifications (
    id               uuid PRIMARY KEY,
    user_id          uuid NOT NULL,
    kind             text NOT NULL,
    text             text NOT NULL,
    booking_id       uuid,
    listing_id       uuid,
    conversation_id  uuid,
    review_id        uuid,
    -- The event it came from: the inbox applies an event once, and this makes a second
    -- notification of one event for one user impossible even so.
    event_id         uuid NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    read_at          timestamptz,
    CONSTRAINT notifications_once UNIQUE (user_id, event_id)
);
CREATE INDEX notifications_user ON notifications (user_id, created_at DESC, id DESC);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;

CREATE TABLE blocks (
    blocker_id  uuid NOT NULL,
    blocked_id  uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (blocker_id, blocked_id),
    CONSTRAINT blocks_not_self CHECK (blocker_id <> blocked_id)
);

CREATE TABLE reports (
    id                uuid PRIMARY KEY,
    reporter_id       uuid NOT NULL,
    reported_user_id  uuid NOT NULL,
    message_id        uuid REFERENCES messages (id),
    conversation_id   uuid,
    message_body      text,
    reason            text NOT NULL CHECK (reason IN ('scam', 'harassment', 'spam', 'inappropriate', 'other')),
    details           text NOT NULL DEFAULT '',
    status            text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    created_at        timestamptz NOT NULL DEFAULT now(),
    resolved_at       timestamptz,
    resolved_by       uuid,
    resolution        text
);
CREATE INDEX reports_queue ON reports (status, created_at DESC, id DESC);
CREATE INDEX reports_newest ON reports (created_at DESC, id DESC);
