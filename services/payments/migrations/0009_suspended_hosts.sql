-- Whether an operator suspended each account, as accounts' user snapshots last said (the
-- newest version wins): a guest whose host is suspended may cancel without fault, refunded
-- as if the host had cancelled (domain.refund_for_cancellation), and the quote shown before
-- the cancellation must say so. Listings rules on the cancellation itself (its end_reason).
CREATE TABLE accounts (
    user_id    uuid PRIMARY KEY,
    suspended  boolean NOT NULL,
    version    bigint NOT NULL
);
