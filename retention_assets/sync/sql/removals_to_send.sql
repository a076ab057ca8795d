-- Planned removals of one shard, each as its Track API v2 entry (JSON text): a clear is an
-- identify setting every attribute this sync wrote (a non-null value in the attribute ledger)
-- to null, stamped like the plan's identifies ($stamp) so it is applied after them; delete
-- and suppress name the person (or object) only. needs_check as in profiles_to_send.sql.
-- A template (sql_files.sharded_sql): braces are doubled.
SELECT
    r.customer_id,
    r.action,
    CASE
        WHEN r.action = 'clear' THEN
            $identifiers_prefix || to_json(r.customer_id)
            || '}},"action":"identify","attributes":{{' || coalesce(c.nulls, '')
            || '}},"timestamp":' || $stamp || '}}'
        ELSE
            $identifiers_prefix || to_json(r.customer_id) || '}},"action":"' || r.action || '"}}'
    END AS entry,
    octet_length(encode(r.customer_id)) > $identifier_max_bytes
        OR trim(r.customer_id) = '' AS needs_check
FROM {sync}.removals_plan AS r
LEFT JOIN (
    SELECT a.customer_id, string_agg(to_json(a.attribute) || ':null', ',') AS nulls
    FROM {sync}.attribute_ledger AS a
    WHERE a.value_hash IS NOT NULL
    GROUP BY a.customer_id
) AS c ON c.customer_id = r.customer_id
WHERE r.as_of_date = $as_of
  AND {shard_filter}
