-- Matching's read models, built from other services' events (never their schemas). Each
-- row keeps the version of the snapshot it holds; an older or repeated snapshot changes
-- nothing, so redelivered or reordered events never overwrite newer state.
-- Database-wide, in public; created by the superuser where each service has its own role.
CREATE EXTENSION IF NOT EXISTS cube WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS earthdistance WITH SCHEMA public;

CREATE TABLE listings (
    listing_id       uuid PRIMARY KEY,
    version          integer NOT NULL,
    host_id          uuid NOT NULL,
    title            text NOT NULL,
    room_type        text NOT NULL,
    latitude         double precision NOT NULL,
    longitude        double precision NOT NULL,
    -- Exact position (ll_to_earth), indexed for the geographic prefilter of room matches.
    position         public.cube NOT NULL,
    monthly_rent     integer NOT NULL,
    amenities        text[] NOT NULL,
    available_from   date NOT NULL,
    available_to     date NOT NULL,
    min_stay_nights  integer NOT NULL,
    status           text NOT NULL,
    review_average   double precision,
    review_count     integer NOT NULL
);
CREATE INDEX listings_position ON listings USING gist (position) WHERE status = 'active';

CREATE TABLE bookings (
    booking_id  uuid PRIMARY KEY,
    version     integer NOT NULL,
    listing_id  uuid NOT NULL,
    guest_id    uuid NOT NULL,
    status      text NOT NULL,
    stay        daterange NOT NULL
);
CREATE INDEX bookings_listing ON bookings (listing_id) WHERE status IN ('accepted', 'completed');

CREATE TABLE profiles (
    user_id  uuid PRIMARY KEY,
    version  integer NOT NULL,
    data     jsonb NOT NULL
);
