-- Rejected rows of one stream that no later run has delivered yet.
SELECT row_key, reason, field, message, attempts, partition_key, last_seen_at
FROM {sync}.rejected_rows
WHERE stream = $stream AND resolved_at IS NULL
ORDER BY last_seen_at DESC, row_key
