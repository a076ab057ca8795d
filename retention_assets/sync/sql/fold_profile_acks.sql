-- Folds the acknowledged profiles of one shard (logged in {sync}.profile_acks) into the
-- ledgers: their planned attribute values become the attribute ledger's and their row digest
-- the customer ledger's, their open rejections are resolved, and they leave the plan, which
-- keeps only what is still to send. Run in one transaction (ledger.fold_profile_acks).
-- A template (sql_files.sharded_sql).
DELETE FROM folded_profile_acks;

INSERT INTO folded_profile_acks
SELECT a.customer_id, a.as_of_date, a.acknowledged_at, a.run_id
FROM {sync}.profile_acks AS a
WHERE {shard_filter};

DELETE FROM {sync}.attribute_ledger
WHERE EXISTS (
    SELECT 1
    FROM {sync}.customer_state_plan AS p
    JOIN folded_profile_acks AS a
        ON a.customer_id = p.customer_id AND a.as_of_date = p.as_of_date
    WHERE p.customer_id = attribute_ledger.customer_id
      AND p.attribute = attribute_ledger.attribute
);

INSERT INTO {sync}.attribute_ledger
SELECT p.customer_id, p.attribute, p.value_hash, p.as_of_date, a.acknowledged_at, a.run_id
FROM {sync}.customer_state_plan AS p
JOIN folded_profile_acks AS a
    ON a.customer_id = p.customer_id AND a.as_of_date = p.as_of_date;

DELETE FROM {sync}.customer_ledger
WHERE customer_id IN (SELECT customer_id FROM folded_profile_acks);

INSERT INTO {sync}.customer_ledger
SELECT pp.customer_id, pp.row_digest, pp.as_of_date, a.acknowledged_at, a.run_id
FROM {sync}.customer_state_plan_profiles AS pp
JOIN folded_profile_acks AS a
    ON a.customer_id = pp.customer_id AND a.as_of_date = pp.as_of_date;

-- A profile acknowledged again is back: its tombstone (a clear or delete) goes.
DELETE FROM {sync}.removal_ledger
WHERE customer_id IN (SELECT customer_id FROM folded_profile_acks);

UPDATE {sync}.rejected_rows
SET resolved_at = a.acknowledged_at
FROM folded_profile_acks AS a
WHERE rejected_rows.stream = $stream
  AND rejected_rows.resolved_at IS NULL
  AND rejected_rows.row_key = a.customer_id;

DELETE FROM {sync}.customer_state_plan
WHERE EXISTS (
    SELECT 1 FROM folded_profile_acks AS a
    WHERE a.customer_id = customer_state_plan.customer_id
      AND a.as_of_date = customer_state_plan.as_of_date
);

DELETE FROM {sync}.customer_state_plan_profiles
WHERE EXISTS (
    SELECT 1 FROM folded_profile_acks AS a
    WHERE a.customer_id = customer_state_plan_profiles.customer_id
      AND a.as_of_date = customer_state_plan_profiles.as_of_date
);

DELETE FROM {sync}.profile_acks
WHERE customer_id IN (SELECT customer_id FROM folded_profile_acks);
