-- The planned events still unacknowledged, of the customers of one shard, oldest first, each
-- with its id (assigned at plan time, {sync}.event_ids) and its whole Track API v2 entry as
-- JSON text, which Python packs as bytes. disposition applies the run's backfill policy to
-- events at or after $trigger_cutoff (inside Customer.io's trigger window):
-- $eligible_disposition is renamed, marked or suppressed for a backfill or first sync (or a
-- run that is part of one), sent for a live run. needs_check marks rows Python builds and checks itself: a marked event (its
-- properties gain the backfill flag) or an identifier or name that might break a Customer.io
-- field limit. A template (sql_files.sharded_sql): braces are doubled.
WITH pending AS (
    SELECT
        p.event_key,
        p.event_name,
        p.customer_id,
        CAST(EXTRACT(EPOCH FROM p.occurred_at) * 1000 AS BIGINT) AS occurred_at_ms,
        CASE
            WHEN p.occurred_at < $trigger_cutoff THEN 'sent'
            WHEN $eligible_disposition <> 'sent' THEN $eligible_disposition
            -- An event first planned by an import (an initial import, a backfill) keeps that
            -- import's policy when it is sent later, e.g. retried after a rejection once the
            -- import has completed: it is history, not a live moment.
            ELSE coalesce(imported.disposition, 'sent')
        END AS disposition,
        p.properties,
        p.event_id,
        p.occurred_at
    FROM {sync}.events_plan AS p
    -- Joins, not correlated subqueries: DuckDB runs a correlated NOT EXISTS or scalar
    -- subquery by hashing every distinct event_key of the plan, which at 95M planned events
    -- (10M customers) does not fit the sync's memory limit; a join hashes its smaller side
    -- and spills.
    LEFT JOIN {sync}.event_ledger AS l ON l.event_key = p.event_key
    LEFT JOIN (
        SELECT
            ids.event_key,
            max(CASE i.backfill_policy
                    WHEN 'rename' THEN 'renamed'
                    WHEN 'mark' THEN 'marked'
                    WHEN 'suppress' THEN 'suppressed'
                END) AS disposition
        FROM {sync}.event_ids AS ids
        JOIN {sync}.sync_imports AS i ON i.import_id = ids.run_id AND i.stream = 'events'
        WHERE i.backfill_policy IS NOT NULL
        GROUP BY ids.event_key
    ) AS imported ON imported.event_key = p.event_key
    WHERE p.event_date >= $start
      AND p.event_date < $end
      AND l.event_key IS NULL
      AND {shard_filter}
)
SELECT
    event_key,
    event_name,
    customer_id,
    occurred_at_ms,
    disposition,
    properties,
    event_id,
    '{{"type":"person","identifiers":{{"id":' || to_json(customer_id)
        || '}},"action":"event","name":'
        || to_json(CASE WHEN disposition = 'renamed' THEN event_name || $backfill_suffix
                        ELSE event_name END)
        || ',"timestamp":' || CAST(CAST(floor(occurred_at_ms / 1000) AS BIGINT) AS VARCHAR)
        || ',"attributes":' || coalesce(nullif(properties, ''), '{{}}')
        -- A ULID is plain base32: no JSON escaping needed.
        || ',"id":"' || event_id || '"}}' AS entry,
    disposition = 'marked'
        OR octet_length(encode(customer_id)) > $identifier_max_bytes
        OR trim(customer_id) = ''
        OR octet_length(encode(event_name)) + octet_length(encode($backfill_suffix))
            > $event_name_max_bytes
        OR trim(event_name) = '' AS needs_check
FROM pending
ORDER BY occurred_at, event_key
