-- The suppresses just folded (temp table folded_removal_acks, fold_removal_acks.sql) join
-- the workspace's suppression list, in the same transaction: from now on no plan of the
-- workspace identifies or tracks these ids. $reason is 'erased' for an erasure stream,
-- 'suppressed' for on_removed: suppress.
INSERT INTO {suppressions}
SELECT f.customer_id, $reason, $stream, f.requested_at, f.acknowledged_at, f.run_id
FROM folded_removal_acks AS f
WHERE f.action = 'suppress'
  AND NOT EXISTS (SELECT 1 FROM {suppressions} AS x WHERE x.customer_id = f.customer_id);
