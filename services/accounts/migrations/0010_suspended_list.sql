-- The operators' list of suspended accounts, the latest first: a few rows among every user.
CREATE INDEX users_suspended ON users (suspended_at DESC, id DESC) WHERE suspended_at IS NOT NULL;
