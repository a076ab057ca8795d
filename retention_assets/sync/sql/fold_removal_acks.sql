-- Folds the acknowledged removals of one shard (logged in {sync}.removal_acks) into the
-- ledgers, in the transaction of fold_profile_acks.sql (ledger.fold_profile_acks). A clear
-- leaves the profile in the customer ledger with a digest no row has (a returning row is
-- sent whole again) and its attributes cleared in the attribute ledger; a delete or suppress
-- removes both ledger rows (a returning deleted person is a new profile). Each removal leaves
-- a tombstone in removal_ledger, so it is never sent twice, and leaves the plan.
-- A template (sql_files.sharded_sql).
DELETE FROM folded_removal_acks;

INSERT INTO folded_removal_acks
SELECT a.customer_id, a.as_of_date, a.action, p.requested_at, a.acknowledged_at, a.run_id
FROM {sync}.removal_acks AS a
LEFT JOIN {sync}.removals_plan AS p
    ON p.customer_id = a.customer_id AND p.as_of_date = a.as_of_date
WHERE {shard_filter};

UPDATE {sync}.attribute_ledger
SET value_hash = NULL,
    as_of_date = f.as_of_date,
    acknowledged_at = f.acknowledged_at,
    run_id = f.run_id
FROM folded_removal_acks AS f
WHERE f.action = 'clear'
  AND attribute_ledger.customer_id = f.customer_id
  AND attribute_ledger.value_hash IS NOT NULL;

UPDATE {sync}.customer_ledger
SET row_digest = 'removed'
FROM folded_removal_acks AS f
WHERE f.action = 'clear' AND customer_ledger.customer_id = f.customer_id;

DELETE FROM {sync}.attribute_ledger
WHERE customer_id IN (SELECT customer_id FROM folded_removal_acks WHERE action <> 'clear');

DELETE FROM {sync}.customer_ledger
WHERE customer_id IN (SELECT customer_id FROM folded_removal_acks WHERE action <> 'clear');

DELETE FROM {sync}.removal_ledger
WHERE customer_id IN (SELECT customer_id FROM folded_removal_acks);

INSERT INTO {sync}.removal_ledger
SELECT customer_id, action, as_of_date, acknowledged_at, run_id FROM folded_removal_acks;

UPDATE {sync}.rejected_rows
SET resolved_at = f.acknowledged_at
FROM folded_removal_acks AS f
WHERE rejected_rows.stream = $stream
  AND rejected_rows.resolved_at IS NULL
  AND rejected_rows.row_key = f.customer_id;

DELETE FROM {sync}.removals_plan
WHERE EXISTS (
    SELECT 1 FROM folded_removal_acks AS f
    WHERE f.customer_id = removals_plan.customer_id AND f.as_of_date = removals_plan.as_of_date
);

DELETE FROM {sync}.removal_acks
WHERE customer_id IN (SELECT customer_id FROM folded_removal_acks);
