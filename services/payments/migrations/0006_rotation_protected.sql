-- Rotation protection as listings rules it (BookingData.rotation_protected, from every
-- booking event): the refund quote needs it to give what the cancellation will.
ALTER TABLE bookings ADD COLUMN rotation_protected boolean NOT NULL DEFAULT false;
