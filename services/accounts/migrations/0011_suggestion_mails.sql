-- Match suggestions waiting to be mailed: a new rotation brings its rooms and mentors in a
-- second, and each was a mail of its own (four in a second). They wait here for
-- ``suggestion_mail_wait_s`` after the first, then go as one mail; a row goes with its mail.
CREATE TABLE suggestion_mails (
    event_id     uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    text         text NOT NULL,
    action_label text NOT NULL,
    action_url   text NOT NULL,
    created_at   timestamptz NOT NULL
);
CREATE INDEX suggestion_mails_user ON suggestion_mails (user_id, created_at);
