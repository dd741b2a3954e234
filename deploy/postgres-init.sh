#!/bin/sh
# First start of the compose Postgres: one login role per service, owning its schema, so
# a service cannot read another's tables; and the extensions listings needs (a service
# role may not create them). The image runs it once, when the data volume is new.
set -eu
psql -v ON_ERROR_STOP=1 -v pw="$SERVICE_DB_PASSWORD" --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
CREATE EXTENSION IF NOT EXISTS cube WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS earthdistance WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', name, :'pw')
  FROM unnest(ARRAY['accounts', 'listings', 'messaging', 'matching', 'payments']) AS name
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = name) \gexec
CREATE SCHEMA IF NOT EXISTS accounts AUTHORIZATION accounts;
CREATE SCHEMA IF NOT EXISTS listings AUTHORIZATION listings;
CREATE SCHEMA IF NOT EXISTS messaging AUTHORIZATION messaging;
CREATE SCHEMA IF NOT EXISTS matching AUTHORIZATION matching;
CREATE SCHEMA IF NOT EXISTS payments AUTHORIZATION payments;
SQL
