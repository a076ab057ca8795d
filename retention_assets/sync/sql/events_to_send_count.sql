-- How many events events_to_send.sql will read. A template (sql_files.sharded_sql).
-- Not acknowledged: no ledger row, found with a left join and IS NULL (see events_to_send.sql).
SELECT count(*)
FROM {sync}.events_plan AS p
LEFT JOIN {sync}.event_ledger AS l ON l.event_key = p.event_key
WHERE p.event_date >= $start
  AND p.event_date < $end
  AND l.event_key IS NULL
  AND {shard_filter}
