-- The minimum stay a booking was accepted under: a host who raises the listing's minimum
-- later changes what new requests may ask, not the stays already agreed (a shift of such a
-- stay is judged against the smaller of the two). Stays accepted before this keep the
-- listing's minimum today, or their own length when that is shorter: none is stranded.
ALTER TABLE bookings ADD COLUMN min_stay_nights integer CHECK (min_stay_nights >= 1);
UPDATE bookings b SET min_stay_nights = least(l.min_stay_nights, upper(b.stay) - lower(b.stay))
    FROM listings l WHERE l.id = b.listing_id AND b.status IN ('accepted', 'confirmed', 'completed');

-- The reviews a user received (GET /users/{id}/reviews: as a host, whatever became of the
-- room, and as a guest), newest first, and their averages: one index walk.
CREATE INDEX reviews_by_subject ON reviews (subject_id, created_at DESC, id DESC);
