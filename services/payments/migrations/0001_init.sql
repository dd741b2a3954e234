-- Bookings as payments sees them: a projection of listings' booking events.
CREATE TABLE bookings (
    booking_id          uuid PRIMARY KEY,
    listing_id          uuid NOT NULL,
    listing_title       text NOT NULL DEFAULT '',
    guest_id            uuid NOT NULL,
    host_id             uuid NOT NULL,
    check_in            date NOT NULL,
    check_out           date NOT NULL,
    total_cents         bigint NOT NULL CHECK (total_cents >= 0),
    status              text NOT NULL,
    cancellation_policy text NOT NULL CHECK (cancellation_policy IN ('flexible', 'moderate', 'strict')),
    accepted_at         timestamptz,
    version             integer NOT NULL
);
CREATE INDEX bookings_host ON bookings (host_id, check_in DESC, booking_id DESC);

-- One row per charge step (booking x block), written before Stripe is called: a retry
-- finds it, and the PaymentIntent it names (or, after a crash before that was recorded,
-- the one whose metadata names this row), instead of charging again.
CREATE TABLE payments (
    id             uuid PRIMARY KEY,
    booking_id     uuid NOT NULL REFERENCES bookings (booking_id),
    block          integer NOT NULL CHECK (block >= 0),
    start_date     date NOT NULL,
    nights         integer NOT NULL CHECK (nights > 0),
    amount_cents   bigint NOT NULL CHECK (amount_cents > 0),
    charge_from    timestamptz NOT NULL,
    pay_by         timestamptz,
    release_at     timestamptz NOT NULL,
    status         text NOT NULL DEFAULT 'due' CHECK (status IN ('due', 'succeeded', 'expired', 'cancelled')),
    intent_attempts integer NOT NULL DEFAULT 0,
    payment_intent text UNIQUE,
    client_secret  text,
    failure        text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    paid_at        timestamptz,
    released_at    timestamptz,
    UNIQUE (booking_id, block)
);
CREATE INDEX payments_due ON payments (pay_by) WHERE status = 'due';
CREATE INDEX payments_release ON payments (release_at) WHERE status = 'succeeded' AND released_at IS NULL;

-- One row per refund step, written before Stripe is called (same reason as payments).
CREATE TABLE refunds (
    id            uuid PRIMARY KEY,
    payment_id    uuid NOT NULL REFERENCES payments (id),
    amount_cents  bigint NOT NULL CHECK (amount_cents > 0),
    kind          text NOT NULL CHECK (kind IN ('cancellation', 'operator', 'expired')),
    reason        text NOT NULL,
    requested_by  uuid,
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded')),
    stripe_refund text UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    succeeded_at  timestamptz
);
CREATE INDEX refunds_pending ON refunds (created_at) WHERE status = 'pending';
CREATE INDEX refunds_payment ON refunds (payment_id);
-- A cancellation refunds a payment once, however often its event is delivered.
CREATE UNIQUE INDEX refunds_one_cancellation ON refunds (payment_id) WHERE kind IN ('cancellation', 'expired');

-- Stripe's events applied, by Stripe's id: a webhook delivered twice is applied once.
CREATE TABLE stripe_events (
    id          text PRIMARY KEY,
    type        text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

-- The double-entry ledger. Accounts: guest_card (money in from cards), refunds (money
-- back out to cards), holding (the platform holds it), host:<uuid> (a host's balance),
-- fees (the platform's host fees). Every transaction's entries sum to zero, checked by
-- the database when the transaction commits; balances are sums over entries.
CREATE TABLE ledger_transactions (
    id          uuid PRIMARY KEY,
    -- The step that caused it (charge:<payment>, release:<payment>, refund:<refund>): once.
    reference   text NOT NULL UNIQUE,
    kind        text NOT NULL CHECK (kind IN ('charge', 'release', 'refund')),
    booking_id  uuid NOT NULL,
    payment_id  uuid NOT NULL REFERENCES payments (id),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE ledger_entries (
    id             bigserial PRIMARY KEY,
    transaction_id uuid NOT NULL REFERENCES ledger_transactions (id),
    account        text NOT NULL CHECK (account IN ('guest_card', 'refunds', 'holding', 'fees') OR account LIKE 'host:%'),
    amount_cents   bigint NOT NULL CHECK (amount_cents <> 0)
);
CREATE INDEX ledger_entries_transaction ON ledger_entries (transaction_id);
CREATE INDEX ledger_entries_account ON ledger_entries (account);

CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    txn uuid;
    total numeric;
    entries integer;
BEGIN
    IF TG_TABLE_NAME = 'ledger_transactions' THEN
        txn := NEW.id;
    ELSE
        txn := NEW.transaction_id;
    END IF;
    SELECT coalesce(sum(amount_cents), 0), count(*) INTO total, entries
        FROM ledger_entries WHERE transaction_id = txn;
    IF total <> 0 OR entries < 2 THEN
        RAISE EXCEPTION 'ledger transaction % does not balance: % entries summing to %', txn, entries, total
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;

-- Deferred to commit: a transaction's entries are inserted one by one.
CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();
CREATE CONSTRAINT TRIGGER ledger_transactions_balanced AFTER INSERT ON ledger_transactions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();

-- The ledger is append-only: a correction is a new transaction.
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_transactions_append_only BEFORE UPDATE OR DELETE ON ledger_transactions
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
