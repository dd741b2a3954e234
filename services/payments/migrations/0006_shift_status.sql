-- The last answer to the guest's request to move the stay (requested, declined, accepted),
-- from listings' shift events: the refund quote needs it to give what the cancellation will.
ALTER TABLE bookings ADD COLUMN shift_status text;
