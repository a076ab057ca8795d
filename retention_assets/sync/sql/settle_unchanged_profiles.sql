-- Planned profiles with nothing to send (their row changed only in nulls under the skip
-- policy, or every value is null): Customer.io holds what they would send, so the digest is
-- settled without a request. Each shard settles its own customers; the profiles are found
-- once (one pass over the plan) and staged in temp table settled_profiles. A template
-- (sql_files.sharded_sql).
DELETE FROM settled_profiles;

-- The planned customers are listed once (one row each) and anti-joined: NOT EXISTS against
-- the plan itself would hash every planned attribute row (17.5M at 1M customers), which at
-- 10M customers no longer fits the sync's memory limit.
INSERT INTO settled_profiles
SELECT pp.customer_id
FROM {sync}.customer_state_plan_profiles AS pp
LEFT JOIN (
    SELECT DISTINCT p.customer_id
    FROM {sync}.customer_state_plan AS p
    WHERE p.as_of_date = $as_of
) AS planned ON planned.customer_id = pp.customer_id
WHERE pp.as_of_date = $as_of
  AND {shard_filter}
  AND planned.customer_id IS NULL;

DELETE FROM {sync}.customer_ledger
WHERE customer_id IN (SELECT row_key FROM settled_profiles);

INSERT INTO {sync}.customer_ledger
SELECT pp.customer_id, pp.row_digest, pp.as_of_date, $acknowledged_at, $run_id
FROM {sync}.customer_state_plan_profiles AS pp
JOIN settled_profiles AS k ON k.row_key = pp.customer_id
WHERE pp.as_of_date = $as_of;

DELETE FROM {sync}.removal_ledger
WHERE customer_id IN (SELECT row_key FROM settled_profiles);
