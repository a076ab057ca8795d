-- Planned profiles not yet acknowledged, for the customers of one shard, each as its whole
-- Track API v2 identify entry: JSON text built here, so Python only packs bytes.
-- $identifiers_prefix opens the entry up to the id: a person's, or an object's type and id. needs_check
-- marks the rare entries that might break a Customer.io field limit (an identifier that is
-- long or blank, a value longer than the value limit as JSON text, which bounds it as sent);
-- the client parses and checks those itself. $stamp is the identify timestamp (epoch seconds,
-- as text). A template (sql_files.sharded_sql): braces are doubled.
SELECT
    p.customer_id,
    $identifiers_prefix || to_json(p.customer_id)
        || '}},"action":"identify","attributes":{{'
        || string_agg(to_json(p.attribute) || ':' || coalesce(p.value_json, 'null'), ',')
        || '}},"timestamp":' || $stamp || '}}' AS entry,
    max(octet_length(encode(coalesce(p.value_json, '')))) > $value_max_bytes
        OR octet_length(encode(p.customer_id)) > $identifier_max_bytes
        OR trim(p.customer_id) = '' AS needs_check
FROM {sync}.customer_state_plan AS p
JOIN {sync}.customer_state_plan_profiles AS pp
    ON pp.customer_id = p.customer_id AND pp.as_of_date = p.as_of_date
LEFT JOIN {sync}.customer_ledger AS l
    ON l.customer_id = p.customer_id
WHERE p.as_of_date = $as_of
  AND (l.customer_id IS NULL OR l.row_digest <> pp.row_digest)
  AND p.customer_id NOT IN {identity_holds}
  AND {shard_filter}
GROUP BY p.customer_id
