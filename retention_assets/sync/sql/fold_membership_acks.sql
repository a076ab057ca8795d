-- Folds the acknowledged pairs of one shard (logged in {sync}.membership_acks) into the
-- membership ledgers: an add or change makes the pair present with its digest and its planned
-- attribute values; a removal leaves the pair absent (kept as a row with present false) and
-- forgets its attributes. Their open rejections are resolved and they leave the plan. Run in
-- one transaction (ledger.fold_membership_acks). A template (sql_files.sharded_sql).
DELETE FROM folded_membership_acks;

INSERT INTO folded_membership_acks
SELECT a.row_key, p.person_id, p.target_id, a.as_of_date, max(a.acknowledged_at), max(a.run_id)
FROM {sync}.membership_acks AS a
JOIN {sync}.membership_plan AS p
    ON p.row_key = a.row_key AND p.as_of_date = a.as_of_date
WHERE {shard_filter}
GROUP BY a.row_key, p.person_id, p.target_id, a.as_of_date;

DELETE FROM {sync}.membership_attribute_ledger
WHERE EXISTS (
    SELECT 1
    FROM {sync}.membership_attribute_plan AS p
    JOIN folded_membership_acks AS a
        ON a.person_id = p.person_id AND a.target_id = p.target_id
        AND a.as_of_date = p.as_of_date
    WHERE p.person_id = membership_attribute_ledger.person_id
      AND p.target_id = membership_attribute_ledger.target_id
      AND p.attribute = membership_attribute_ledger.attribute
);

DELETE FROM {sync}.membership_attribute_ledger
WHERE EXISTS (
    SELECT 1
    FROM {sync}.membership_plan AS p
    JOIN folded_membership_acks AS a
        ON a.row_key = p.row_key AND a.as_of_date = p.as_of_date
    WHERE p.action = 'remove'
      AND p.person_id = membership_attribute_ledger.person_id
      AND p.target_id = membership_attribute_ledger.target_id
);

INSERT INTO {sync}.membership_attribute_ledger
SELECT p.person_id, p.target_id, p.attribute, p.value_hash, p.as_of_date, a.acknowledged_at,
       a.run_id
FROM {sync}.membership_attribute_plan AS p
JOIN folded_membership_acks AS a
    ON a.person_id = p.person_id AND a.target_id = p.target_id AND a.as_of_date = p.as_of_date;

DELETE FROM {sync}.membership_ledger
WHERE EXISTS (
    SELECT 1 FROM folded_membership_acks AS a
    WHERE a.person_id = membership_ledger.person_id
      AND a.target_id = membership_ledger.target_id
);

INSERT INTO {sync}.membership_ledger
SELECT p.person_id, p.target_id, p.action <> 'remove', p.row_digest, p.as_of_date,
       a.acknowledged_at, a.run_id
FROM {sync}.membership_plan AS p
JOIN folded_membership_acks AS a
    ON a.row_key = p.row_key AND a.as_of_date = p.as_of_date;

UPDATE {sync}.rejected_rows
SET resolved_at = a.acknowledged_at
FROM folded_membership_acks AS a
WHERE rejected_rows.stream = $stream
  AND rejected_rows.resolved_at IS NULL
  AND rejected_rows.row_key = a.row_key;

DELETE FROM {sync}.membership_attribute_plan
WHERE EXISTS (
    SELECT 1 FROM folded_membership_acks AS a
    WHERE a.person_id = membership_attribute_plan.person_id
      AND a.target_id = membership_attribute_plan.target_id
      AND a.as_of_date = membership_attribute_plan.as_of_date
);

DELETE FROM {sync}.membership_plan
WHERE EXISTS (
    SELECT 1 FROM folded_membership_acks AS a
    WHERE a.row_key = membership_plan.row_key
      AND a.as_of_date = membership_plan.as_of_date
);

DELETE FROM {sync}.membership_acks
WHERE EXISTS (
    SELECT 1 FROM folded_membership_acks AS a
    WHERE a.row_key = membership_acks.row_key
      AND a.as_of_date = membership_acks.as_of_date
);
