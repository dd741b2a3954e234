-- A later payment past its deadline is announced once (the guest is told, operators see it).
ALTER TABLE payments ADD COLUMN overdue_at timestamptz;
