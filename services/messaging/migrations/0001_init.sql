-- Skeleton: the messaging issue adds conversations, messages and notifications.
SELECT 1;
