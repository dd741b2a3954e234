-- The nights a listing's host blocked (listings' snapshot, ListingData.blocked): room
-- matches and suggestions count them as taken, like accepted stays. Listings projected
-- before this have none until their next snapshot (any change, or a rebuild).
ALTER TABLE listings ADD COLUMN blocked datemultirange NOT NULL DEFAULT '{}';
