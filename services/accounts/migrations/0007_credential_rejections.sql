-- An operator may reject a submitted NPI or licence, saying why: the professional reads
-- the reason on their profile (and in a notice and a mail) and may submit again, which
-- replaces the rejection with a new pending submission.
ALTER TABLE verifications DROP CONSTRAINT verifications_status_check;
ALTER TABLE verifications ADD CONSTRAINT verifications_status_check
    CHECK (status IN ('pending', 'verified', 'rejected'));
ALTER TABLE verifications ADD COLUMN rejected_at timestamptz;
ALTER TABLE verifications ADD COLUMN rejected_by uuid;
ALTER TABLE verifications ADD COLUMN rejection_reason text;
CREATE INDEX verifications_rejected ON verifications (rejected_at DESC, user_id DESC) WHERE status = 'rejected';
