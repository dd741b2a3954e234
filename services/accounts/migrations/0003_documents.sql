-- Verification documents (issue #17): a student's proof of enrolment or rotation
-- acceptance, a professional's licence scan. The file lives in object storage under
-- object_key until retention deletes it (deleted_at set, the key kept for the record).
CREATE TABLE documents (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('enrolment', 'rotation_acceptance', 'licence')),
    object_key    text NOT NULL,
    content_type  text NOT NULL,
    size_bytes    integer NOT NULL,
    pages         integer NOT NULL,
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'verified', 'rejected')),
    note          text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    decided_at    timestamptz,
    decided_by    uuid,
    deleted_at    timestamptz
);
CREATE INDEX documents_by_user ON documents (user_id, created_at DESC, id DESC);
CREATE INDEX documents_queue ON documents (created_at, id) WHERE status = 'pending';
CREATE INDEX documents_retention ON documents (decided_at) WHERE deleted_at IS NULL AND status <> 'pending';

-- A student verified by a document shares the professionals' badge: kind 'document'.
ALTER TABLE verifications DROP CONSTRAINT verifications_kind_check;
ALTER TABLE verifications ADD CONSTRAINT verifications_kind_check CHECK (kind IN ('npi', 'license', 'document'));
