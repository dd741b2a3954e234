-- Listing photos (issue #17): each row points at its WebP variants in object storage by
-- width; the first by position is the cover. The listing keeps its count and cover so a
-- search reads them from the row it already reads, and so that a change of photos bumps
-- the listing's version (the event matching's projection applies).
CREATE TABLE listing_photos (
    id uuid PRIMARY KEY,
    listing_id uuid NOT NULL REFERENCES listings(id),
    position integer NOT NULL,
    alt_text text NOT NULL,
    caption text NOT NULL DEFAULT '',
    width integer NOT NULL,
    height integer NOT NULL,
    color text NOT NULL,
    -- {"320": {"key": "photos/<hash>.webp", "width": 320, "height": 240}, ...}
    variants jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX listing_photos_by_listing ON listing_photos (listing_id, position);
-- Which rows use an object: a photo uploaded twice shares its files, deleted when unused.
CREATE INDEX listing_photos_by_object ON listing_photos ((variants -> '320' ->> 'key'));

ALTER TABLE listings ADD COLUMN photo_count integer NOT NULL DEFAULT 0;
ALTER TABLE listings ADD COLUMN cover jsonb;
