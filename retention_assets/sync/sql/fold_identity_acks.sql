-- Folds the acknowledged merges (logged in {sync}.identity_merge_acks) into the merge ledger,
-- each once: a merge is never sent again once folded. Their open rejections are resolved.
INSERT INTO {sync}.identity_merges
SELECT a.customer_id, a.secondary_cio_id, min(a.acknowledged_at), min(a.run_id)
FROM {sync}.identity_merge_acks AS a
WHERE NOT EXISTS (
    SELECT 1 FROM {sync}.identity_merges AS m
    WHERE m.customer_id = a.customer_id AND m.secondary_cio_id = a.secondary_cio_id
)
GROUP BY a.customer_id, a.secondary_cio_id;

UPDATE {sync}.rejected_rows
SET resolved_at = $resolved_at
WHERE stream = $stream
  AND resolved_at IS NULL
  AND row_key IN (SELECT customer_id FROM {sync}.identity_merge_acks);

DELETE FROM {sync}.identity_merge_acks;
