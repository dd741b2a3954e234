-- The letter request a letter's notice is about, and the rotation a suggestion is for:
-- the web client and the mail open that letter (the writer acts there) and that
-- rotation's matches, not the list of letters or the notifications. Null on notices
-- stored before, which keep their old links.
ALTER TABLE notifications ADD COLUMN letter_id uuid, ADD COLUMN rotation_id uuid;
