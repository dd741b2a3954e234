-- The mentorship a notification is about (its acceptance, its plan's meetings, goals and
-- notes, its check-ins): the web client and the mail open that plan, not a list.
ALTER TABLE notifications ADD COLUMN mentorship_id uuid;
