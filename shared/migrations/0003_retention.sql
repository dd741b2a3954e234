-- Published outbox rows and applied inbox ids are pruned by age (shared.retention): find
-- them by when they were sent and applied.
CREATE INDEX IF NOT EXISTS outbox_sent_at ON outbox (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS inbox_applied_at ON inbox (applied_at);
