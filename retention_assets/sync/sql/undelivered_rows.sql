-- Open rejections of one stream that say nothing about the row ($retry_reason,
-- $ambiguous_reason: Customer.io could not be reached in time), counted per partition.
SELECT partition_key, count(*) AS undelivered
FROM {sync}.rejected_rows
WHERE stream = $stream
  AND resolved_at IS NULL
  AND reason IN ($retry_reason, $ambiguous_reason)
GROUP BY partition_key
ORDER BY partition_key
