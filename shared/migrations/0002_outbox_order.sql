-- The order a transaction wrote its events in. Events written in one transaction share
-- created_at (now() is the transaction's start), so ordering by it left their order to
-- where the rows landed in the heap: a row placed in space freed by a pruned one could
-- come first. The relay publishes by seq, so consumers see one change's events in the order
-- the change wrote them.
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS seq bigint GENERATED ALWAYS AS IDENTITY;
DROP INDEX IF EXISTS outbox_unsent;
CREATE INDEX IF NOT EXISTS outbox_unsent_seq ON outbox (seq) WHERE sent_at IS NULL;
