-- Listings and bookings carry a version that the database increments on every change;
-- events carry it, so consumers apply only snapshots newer than the ones they hold.
ALTER TABLE listings ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE bookings ADD COLUMN version integer NOT NULL DEFAULT 1;
-- The hosts projection remembers the version of the user snapshot it holds.
ALTER TABLE hosts ADD COLUMN version integer NOT NULL DEFAULT 0;

CREATE FUNCTION bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    RETURN NEW;
END
$$;

CREATE TRIGGER listings_version BEFORE UPDATE ON listings FOR EACH ROW EXECUTE FUNCTION bump_version();
CREATE TRIGGER bookings_version BEFORE UPDATE ON bookings FOR EACH ROW EXECUTE FUNCTION bump_version();
