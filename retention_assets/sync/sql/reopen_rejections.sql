-- Profiles whose update Customer.io dropped (staged in temp table selected_keys by
-- delivery_audit.py): a rejection that this run's fold resolved when Customer.io acknowledged
-- the profile (at or after $since, the send's start) is open again, so that
-- record_rejections.sql counts one more attempt on it instead of opening a new record.
UPDATE {sync}.rejected_rows
SET resolved_at = NULL
WHERE stream = $stream
  AND resolved_at >= $since
  AND row_key IN (SELECT row_key FROM selected_keys);
