-- A guest whose rotation moved asks to shift an accepted stay; the host accepts (the stay
-- moves, under the same no-overlap constraint) or declines (the guest may then cancel,
-- and the booking says why it ended).
ALTER TABLE bookings ADD COLUMN shift_stay daterange CHECK (shift_stay IS NULL OR NOT isempty(shift_stay));
ALTER TABLE bookings ADD COLUMN shift_status text CHECK (shift_status IN ('requested', 'declined'));
ALTER TABLE bookings ADD COLUMN end_reason text;
