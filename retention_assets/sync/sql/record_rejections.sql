-- Rejected rows (staged in temp table rejected_keys): a row rejected again counts one more
-- attempt on its open record; a first rejection opens a record.
UPDATE {sync}.rejected_rows
SET attempts = attempts + 1,
    last_seen_at = $seen_at,
    run_id = $run_id,
    partition_key = $partition_key,
    reason = r.reason,
    field = r.field,
    message = r.message
FROM rejected_keys AS r
WHERE rejected_rows.stream = $stream
  AND rejected_rows.row_key = r.row_key
  AND rejected_rows.resolved_at IS NULL;

INSERT INTO {sync}.rejected_rows
SELECT $stream, r.row_key, $partition_key, $run_id, r.reason, r.field, r.message, 1,
       $seen_at, $seen_at, NULL
FROM rejected_keys AS r
WHERE NOT EXISTS (
    SELECT 1 FROM {sync}.rejected_rows AS o
    WHERE o.stream = $stream AND o.row_key = r.row_key AND o.resolved_at IS NULL
);
