-- How many pairs membership_to_send.sql will send. A template (sql_files.sharded_sql).
SELECT count(*)
FROM {sync}.membership_plan AS p
WHERE p.as_of_date = $as_of
  AND {shard_filter}
