-- The address a stay was paid for, kept on the booking when it is confirmed: a past guest
-- sees where they stayed, never where the room is now. Stays confirmed before this keep
-- the address their listing has today, the best that is known.
ALTER TABLE bookings ADD COLUMN stay_address text;
UPDATE bookings b SET stay_address = l.address
    FROM listings l WHERE l.id = b.listing_id AND b.status IN ('confirmed', 'completed');
