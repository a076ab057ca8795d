-- The planned events still unacknowledged (a re-run after a crash skips what landed), of the
-- customers of one shard. A template (sql_files.sharded_sql).
SELECT
    p.event_key,
    p.event_name,
    p.customer_id,
    CAST(EXTRACT(EPOCH FROM p.occurred_at) * 1000 AS BIGINT) AS occurred_at_ms,
    p.event_date,
    p.properties
FROM cio_sync.events_plan AS p
WHERE p.event_date >= $start
  AND p.event_date < $end
  AND NOT EXISTS (SELECT 1 FROM cio_sync.event_ledger AS l WHERE l.event_key = p.event_key)
  AND {shard_filter}
ORDER BY p.occurred_at, p.event_key
