-- How many events events_to_send.sql will read. A template (sql_files.sharded_sql).
SELECT count(*)
FROM {sync}.events_plan AS p
WHERE p.event_date >= $start
  AND p.event_date < $end
  AND NOT EXISTS (SELECT 1 FROM {sync}.event_ledger AS l WHERE l.event_key = p.event_key)
  AND {shard_filter}
