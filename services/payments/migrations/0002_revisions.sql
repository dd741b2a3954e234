-- A payment not yet made whose amount changes (the host accepted new dates) gets a new
-- revision: a new charge step, so its new PaymentIntent is never confused with the old one.
ALTER TABLE payments ADD COLUMN revision integer NOT NULL DEFAULT 0;
ALTER TABLE refunds DROP CONSTRAINT refunds_kind_check;
ALTER TABLE refunds ADD CONSTRAINT refunds_kind_check CHECK (kind IN ('cancellation', 'operator', 'expired', 'shift'));
