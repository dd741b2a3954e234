-- An account an operator suspended (its snapshot says so): it cannot log in to read, so
-- nothing new is sent to it (409) until the suspension is lifted.
ALTER TABLE users ADD COLUMN suspended boolean NOT NULL DEFAULT false;
