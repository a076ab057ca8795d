-- Planned profiles with their attribute changes as one JSON object each, skipping profiles
-- whose plan was already acknowledged (a re-run after a crash sends only the rest), for the
-- customers of one shard. A template (sql_files.sharded_sql): braces are doubled.
SELECT
    p.customer_id,
    '{{' || string_agg(to_json(p.attribute) || ':' || coalesce(p.value_json, 'null'), ',') || '}}'
        AS attributes_json
FROM cio_sync.customer_state_plan AS p
JOIN cio_sync.customer_state_plan_profiles AS pp
    ON pp.customer_id = p.customer_id AND pp.as_of_date = p.as_of_date
LEFT JOIN cio_sync.customer_ledger AS l
    ON l.customer_id = p.customer_id
WHERE p.as_of_date = $as_of
  AND (l.customer_id IS NULL OR l.row_digest <> pp.row_digest)
  AND {shard_filter}
GROUP BY p.customer_id
