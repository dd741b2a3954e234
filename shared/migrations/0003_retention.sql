-- Published rows are pruned by age (shared.outbox.prune_sent): find them by when they were sent.
CREATE INDEX IF NOT EXISTS outbox_sent_at ON outbox (sent_at) WHERE sent_at IS NOT NULL;
