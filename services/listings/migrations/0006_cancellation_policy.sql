-- The host's cancellation policy: what payments refunds when a guest cancels. A booking
-- keeps the policy it was accepted under (a later change of the listing's policy does
-- not change what a guest who already paid gets back).
ALTER TABLE listings ADD COLUMN cancellation_policy text NOT NULL DEFAULT 'moderate'
    CHECK (cancellation_policy IN ('flexible', 'moderate', 'strict'));
ALTER TABLE bookings ADD COLUMN cancellation_policy text
    CHECK (cancellation_policy IN ('flexible', 'moderate', 'strict'));
