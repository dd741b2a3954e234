-- New terms for a payment not yet made (the host accepted new dates) no longer rewrite its
-- row and forget its PaymentIntent (a pay page still open could complete that intent, and
-- the charge was in no ledger): the row is cancelled with its intent kept, and a new row
-- takes its block. So one live (not cancelled) row per block.
ALTER TABLE payments DROP CONSTRAINT payments_booking_id_block_key;
CREATE UNIQUE INDEX payments_live_block ON payments (booking_id, block) WHERE status <> 'cancelled';

-- The PaymentIntent of a payment that can no longer be paid (cancelled, expired) is
-- cancelled at Stripe by the intent sweep; until Stripe says it is closed (cancelled, or
-- succeeded and then recorded and refunded) the row says the step is still to do.
ALTER TABLE payments ADD COLUMN intent_closed_at timestamptz;
CREATE INDEX payments_intents_to_close ON payments (created_at)
    WHERE status IN ('cancelled', 'expired') AND payment_intent IS NOT NULL AND intent_closed_at IS NULL;
