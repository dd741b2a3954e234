-- Receipts and balances sum a payment's ledger transactions, and the host's payouts list
-- joins them by booking: without these, each of those read the whole ledger.
CREATE INDEX ledger_transactions_payment ON ledger_transactions (payment_id);
CREATE INDEX ledger_transactions_booking ON ledger_transactions (booking_id);
