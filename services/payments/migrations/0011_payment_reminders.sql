-- A payment coming up on its deadline unpaid is recalled to the guest once (the acceptance's
-- mail was the only word before the booking expired).
ALTER TABLE payments ADD COLUMN reminded_at timestamptz;
