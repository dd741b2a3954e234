-- A listing's guest reviews, newest first (GET /listings/{id}/reviews): one index walk.
CREATE INDEX reviews_by_listing ON reviews (listing_id, created_at DESC, id DESC) WHERE author_role = 'guest';
