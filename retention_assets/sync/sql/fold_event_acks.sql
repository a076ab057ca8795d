-- Folds the acknowledged (or suppressed) events of one shard, logged in {sync}.event_acks,
-- into the event ledger with their planned customer, day, time and the name they were sent under;
-- their open rejections are resolved and they leave the plan, which keeps only what is still
-- to send. Each statement streams (a first sync folds millions of rows, within DuckDB's memory
-- limit). Run in one transaction (ledger.fold_event_acks). A template
-- (sql_files.sharded_sql) on the planned customer_id, the only column of that name here.
INSERT INTO {sync}.event_ledger
    (event_key, event_ulid, customer_id, event_date, occurred_at, sent_name, disposition,
     acknowledged_at, run_id)
SELECT
    a.event_key,
    a.event_ulid,
    p.customer_id,
    p.event_date,
    p.occurred_at,
    CASE a.disposition
        WHEN 'suppressed' THEN NULL
        WHEN 'renamed' THEN p.event_name || $backfill_suffix
        ELSE p.event_name
    END,
    a.disposition,
    a.acknowledged_at,
    a.run_id
FROM {sync}.event_acks AS a
JOIN {sync}.events_plan AS p ON p.event_key = a.event_key
WHERE {shard_filter};

UPDATE {sync}.rejected_rows
SET resolved_at = a.acknowledged_at
FROM {sync}.event_acks AS a
WHERE rejected_rows.stream = 'events'
  AND rejected_rows.resolved_at IS NULL
  AND rejected_rows.row_key = a.event_key;

DELETE FROM {sync}.events_plan
WHERE {shard_filter}
  AND event_key IN (SELECT event_key FROM {sync}.event_acks);

-- What is left in the log without a planned row was folded above (or by another shard's fold
-- of its own rows, which keep their planned rows until then).
DELETE FROM {sync}.event_acks
WHERE event_key NOT IN (SELECT event_key FROM {sync}.events_plan);
