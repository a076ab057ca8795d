-- How many profiles profiles_to_send.sql will send (after settle_unchanged_profiles.sql, every
-- pending planned profile has at least one attribute row); the identity plan's holds
-- (identity_holds.sql) are left out of both. A template (sql_files.sharded_sql).
SELECT count(*)
FROM {sync}.customer_state_plan_profiles AS pp
LEFT JOIN {sync}.customer_ledger AS l
    ON l.customer_id = pp.customer_id
WHERE pp.as_of_date = $as_of
  AND (l.customer_id IS NULL OR l.row_digest <> pp.row_digest)
  AND pp.customer_id NOT IN {identity_holds}
  AND {shard_filter}
