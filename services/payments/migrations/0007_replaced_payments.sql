-- A payment that new dates replaced (cancelled by flows.apply_shift, or an old revision's
-- intent adopted after an earlier version dropped it) says so: the receipt lists it apart
-- from the payments that count, among which a payment cancelled with its booking stays.
ALTER TABLE payments ADD COLUMN replaced boolean NOT NULL DEFAULT false;

-- Rows from before this column: a cancelled payment of a stay that did not end was
-- cancelled by new dates (an ended booking cancels its own as it ends); so was an adopted
-- intent (the only rows without a deadline), and one whose block a later row took. A
-- payment that new dates replaced without a successor, of a booking that ended afterwards,
-- stays among the cancelled ones.
UPDATE payments p SET replaced = true
FROM bookings b
WHERE b.booking_id = p.booking_id AND p.status = 'cancelled' AND (
    b.status IN ('accepted', 'confirmed', 'completed')
    OR p.pay_by IS NULL
    OR EXISTS (
        SELECT 1 FROM payments later
        WHERE later.booking_id = p.booking_id AND later.block = p.block
          AND later.created_at > p.created_at AND later.pay_by IS NOT NULL
    )
);
