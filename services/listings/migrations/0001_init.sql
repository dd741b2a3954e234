-- Extensions live in public (database-wide); CREATE EXTENSION IF NOT EXISTS is idempotent.
CREATE EXTENSION IF NOT EXISTS cube WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS earthdistance WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

CREATE TABLE hospitals (
    id         text PRIMARY KEY,
    name       text NOT NULL,
    city       text NOT NULL,
    state      text NOT NULL,
    zip        text NOT NULL,
    latitude   double precision NOT NULL,
    longitude  double precision NOT NULL,
    beds       integer,
    teaching   boolean,
    position   public.cube NOT NULL
);
CREATE INDEX hospitals_name_trgm ON hospitals USING gin (name gin_trgm_ops);
CREATE INDEX hospitals_state ON hospitals (state, name);

-- Hosts as seen by listings: a projection of accounts' events (never read across schemas).
CREATE TABLE hosts (
    user_id       uuid PRIMARY KEY,
    display_name  text,
    verified      boolean NOT NULL DEFAULT false
);

CREATE TABLE listings (
    id               uuid PRIMARY KEY,
    host_id          uuid NOT NULL,
    title            text NOT NULL,
    description      text NOT NULL DEFAULT '',
    room_type        text NOT NULL CHECK (room_type IN ('private_room', 'entire_place', 'shared_room')),
    address          text NOT NULL,
    latitude         double precision NOT NULL CHECK (latitude BETWEEN -90 AND 90),
    longitude        double precision NOT NULL CHECK (longitude BETWEEN -180 AND 180),
    -- Stored earth position (a cube): the GiST index serves both radius and nearest-first.
    position         public.cube NOT NULL,
    monthly_rent     integer NOT NULL CHECK (monthly_rent > 0),
    amenities        text[] NOT NULL DEFAULT '{}',
    house_rules      text NOT NULL DEFAULT '',
    available_from   date NOT NULL,
    available_to     date NOT NULL,
    min_stay_nights  integer NOT NULL CHECK (min_stay_nights >= 1),
    status           text NOT NULL CHECK (status IN ('draft', 'active', 'archived')),
    review_sum       integer NOT NULL DEFAULT 0,
    review_count     integer NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT listings_window CHECK (available_from <= available_to)
);
CREATE INDEX listings_position ON listings USING gist (position) WHERE status = 'active';
CREATE INDEX listings_host ON listings (host_id, created_at DESC);
CREATE INDEX listings_newest ON listings (created_at DESC, id DESC) WHERE status = 'active';
CREATE INDEX listings_price ON listings (monthly_rent, id) WHERE status = 'active';

CREATE TABLE bookings (
    id           uuid PRIMARY KEY,
    listing_id   uuid NOT NULL REFERENCES listings (id),
    guest_id     uuid NOT NULL,
    host_id      uuid NOT NULL,
    stay         daterange NOT NULL CHECK (NOT isempty(stay)),
    total_cents  bigint NOT NULL,
    status       text NOT NULL CHECK (status IN
                   ('requested', 'accepted', 'declined', 'cancelled', 'expired', 'completed')),
    message      text NOT NULL DEFAULT '',
    hospital_id  text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    decided_at   timestamptz,
    CONSTRAINT bookings_guest_not_host CHECK (guest_id <> host_id),
    -- Double booking is impossible: no two accepted (or completed) stays of one listing overlap.
    CONSTRAINT bookings_no_overlap EXCLUDE USING gist (listing_id WITH =, stay WITH &&)
        WHERE (status IN ('accepted', 'completed'))
);
CREATE INDEX bookings_guest ON bookings (guest_id, created_at DESC);
CREATE INDEX bookings_host ON bookings (host_id, created_at DESC);
CREATE INDEX bookings_expiry ON bookings (expires_at) WHERE status = 'requested';
CREATE INDEX bookings_accepted ON bookings USING gist (listing_id, stay) WHERE status IN ('accepted', 'completed');

CREATE TABLE reviews (
    id           uuid PRIMARY KEY,
    booking_id   uuid NOT NULL REFERENCES bookings (id),
    listing_id   uuid NOT NULL,
    author_id    uuid NOT NULL,
    subject_id   uuid NOT NULL,
    author_role  text NOT NULL CHECK (author_role IN ('guest', 'host')),
    rating       integer NOT NULL CHECK (rating BETWEEN 1 AND 5),
    text         text NOT NULL,
    hospital_name text,
    stay_month   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT reviews_once_per_side UNIQUE (booking_id, author_role)
);
