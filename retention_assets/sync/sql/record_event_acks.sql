-- Events Customer.io acknowledged, or that the backfill policy suppressed for good
-- (rows staged in temp table acked_events).
INSERT INTO cio_sync.event_ledger
SELECT
    event_key, event_ulid, customer_id, event_date, sent_name, disposition,
    $acknowledged_at, $run_id
FROM acked_events;

UPDATE cio_sync.rejected_rows
SET resolved_at = $acknowledged_at
WHERE stream = 'events'
  AND resolved_at IS NULL
  AND row_key IN (SELECT event_key FROM acked_events);
