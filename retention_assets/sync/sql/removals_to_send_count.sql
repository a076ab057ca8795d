-- How many removals removals_to_send.sql will send. A template (sql_files.sharded_sql).
SELECT count(*)
FROM {sync}.removals_plan AS r
WHERE r.as_of_date = $as_of
  AND {shard_filter}
