-- Planned changes with nothing to send (their attributes changed only to nulls under the skip
-- policy): Customer.io holds what they would send, so the ledger takes the new digest without
-- a request and the pair leaves the plan. The pairs are staged in temp table
-- settled_profiles. A template (sql_files.sharded_sql).
DELETE FROM settled_profiles;

INSERT INTO settled_profiles
SELECT p.row_key
FROM {sync}.membership_plan AS p
WHERE p.as_of_date = $as_of
  AND p.action = 'change'
  AND {shard_filter}
  AND NOT EXISTS (
      SELECT 1 FROM {sync}.membership_attribute_plan AS a
      WHERE a.as_of_date = p.as_of_date AND a.person_id = p.person_id
        AND a.target_id = p.target_id
  );

UPDATE {sync}.membership_ledger
SET row_digest = p.row_digest,
    as_of_date = p.as_of_date,
    acknowledged_at = $acknowledged_at,
    run_id = $run_id
FROM {sync}.membership_plan AS p
WHERE p.as_of_date = $as_of
  AND p.row_key IN (SELECT row_key FROM settled_profiles)
  AND p.person_id = membership_ledger.person_id
  AND p.target_id = membership_ledger.target_id;

DELETE FROM {sync}.membership_plan
WHERE as_of_date = $as_of
  AND row_key IN (SELECT row_key FROM settled_profiles);
