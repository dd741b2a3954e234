-- The rotation a waiting suggestion is for: a mail of one rotation's says "your rotation".
ALTER TABLE suggestion_mails ADD COLUMN rotation_id uuid;
