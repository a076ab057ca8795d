-- Events of the partition window [$start, $end) that Customer.io has not acknowledged, each
-- with its id. An id is assigned once, when an event is first planned, stored in
-- {sync}.event_ids by the last statement (plans.plan_events runs the three in one
-- transaction, so a plan never holds an id that is not stored), and reused by every later plan:
-- a re-planned event (late data, a crash before its acknowledgement was recorded, a corrected
-- occurred_at) is sent under the id of its first plan and Customer.io drops the copy.
-- A new id is the ULID event_ids.event_ulid computes: 48 bits of the event's time in ms and
-- the first 80 bits of the SHA-256 of its key, in Crockford base32, each character looked up
-- with substr: 10 from the time, 16 from four 20-bit numbers read off the digest's first 20
-- hex digits. A time outside the ULID range (before 1970) is clamped: the id stays unique by
-- its key, only its sort order is lost. Nested queries, not CTEs: DuckDB would materialise a
-- CTE (10M rows of a first sync, spilled to disk at the sync's memory limit). The ids rely on
-- the model's one row per event_key (its blocking unique-key check).
DELETE FROM {sync}.events_plan WHERE event_date >= $start AND event_date < $end;

INSERT INTO {sync}.events_plan
    (event_key, event_name, customer_id, occurred_at, event_date, properties, event_id)
SELECT
    event_key,
    event_name,
    customer_id,
    occurred_at,
    event_date,
    properties,
    -- One concat: 25 || would build 25 intermediate strings per row.
    coalesce(
        known_id,
        concat(
            substr(crockford, CAST((ms >> 45) & 31 AS INTEGER) + 1, 1),
            substr(crockford, CAST((ms >> 40) & 31 AS INTEGER) + 1, 1),
            substr(crockford, CAST((ms >> 35) & 31 AS INTEGER) + 1, 1),
            substr(crockford, CAST((ms >> 30) & 31 AS INTEGER) + 1, 1),
            substr(crockford, CAST((ms >> 25) & 31 AS INTEGER) + 1, 1),
            substr(crockford, CAST((ms >> 20) & 31 AS INTEGER) + 1, 1),
            substr(crockford, CAST((ms >> 15) & 31 AS INTEGER) + 1, 1),
            substr(crockford, CAST((ms >> 10) & 31 AS INTEGER) + 1, 1),
            substr(crockford, CAST((ms >> 5) & 31 AS INTEGER) + 1, 1),
            substr(crockford, CAST(ms & 31 AS INTEGER) + 1, 1),
            substr(crockford, CAST((r0 >> 15) & 31 AS INTEGER) + 1, 1),
            substr(crockford, CAST((r0 >> 10) & 31 AS INTEGER) + 1, 1),
            substr(crockford, CAST((r0 >> 5) & 31 AS INTEGER) + 1, 1),
            substr(crockford, CAST(r0 & 31 AS INTEGER) + 1, 1),
            substr(crockford, CAST((r1 >> 15) & 31 AS INTEGER) + 1, 1),
            substr(crockford, CAST((r1 >> 10) & 31 AS INTEGER) + 1, 1),
            substr(crockford, CAST((r1 >> 5) & 31 AS INTEGER) + 1, 1),
            substr(crockford, CAST(r1 & 31 AS INTEGER) + 1, 1),
            substr(crockford, CAST((r2 >> 15) & 31 AS INTEGER) + 1, 1),
            substr(crockford, CAST((r2 >> 10) & 31 AS INTEGER) + 1, 1),
            substr(crockford, CAST((r2 >> 5) & 31 AS INTEGER) + 1, 1),
            substr(crockford, CAST(r2 & 31 AS INTEGER) + 1, 1),
            substr(crockford, CAST((r3 >> 15) & 31 AS INTEGER) + 1, 1),
            substr(crockford, CAST((r3 >> 10) & 31 AS INTEGER) + 1, 1),
            substr(crockford, CAST((r3 >> 5) & 31 AS INTEGER) + 1, 1),
            substr(crockford, CAST(r3 & 31 AS INTEGER) + 1, 1)
        )
    ) AS event_id
FROM (
    SELECT
        event_key,
        event_name,
        customer_id,
        occurred_at,
        event_date,
        properties,
        known_id,
        ms,
        '0123456789ABCDEFGHJKMNPQRSTVWXYZ' AS crockford,
        (position(substr(digest, 1, 1) IN digits) - 1) * 65536
            + (position(substr(digest, 2, 1) IN digits) - 1) * 4096
            + (position(substr(digest, 3, 1) IN digits) - 1) * 256
            + (position(substr(digest, 4, 1) IN digits) - 1) * 16
            + (position(substr(digest, 5, 1) IN digits) - 1) AS r0,
        (position(substr(digest, 6, 1) IN digits) - 1) * 65536
            + (position(substr(digest, 7, 1) IN digits) - 1) * 4096
            + (position(substr(digest, 8, 1) IN digits) - 1) * 256
            + (position(substr(digest, 9, 1) IN digits) - 1) * 16
            + (position(substr(digest, 10, 1) IN digits) - 1) AS r1,
        (position(substr(digest, 11, 1) IN digits) - 1) * 65536
            + (position(substr(digest, 12, 1) IN digits) - 1) * 4096
            + (position(substr(digest, 13, 1) IN digits) - 1) * 256
            + (position(substr(digest, 14, 1) IN digits) - 1) * 16
            + (position(substr(digest, 15, 1) IN digits) - 1) AS r2,
        (position(substr(digest, 16, 1) IN digits) - 1) * 65536
            + (position(substr(digest, 17, 1) IN digits) - 1) * 4096
            + (position(substr(digest, 18, 1) IN digits) - 1) * 256
            + (position(substr(digest, 19, 1) IN digits) - 1) * 16
            + (position(substr(digest, 20, 1) IN digits) - 1) AS r3
    FROM (
        SELECT
            e.event_key,
            e.event_name,
            e.customer_id,
            e.occurred_at,
            e.event_date,
            e.properties,
            i.event_id AS known_id,
            least(greatest(CAST(EXTRACT(EPOCH FROM e.occurred_at) * 1000 AS BIGINT), 0),
                  281474976710655) AS ms,
            -- Hashed only for an event without an id.
            CASE WHEN i.event_id IS NULL THEN lower(sha256(e.event_key)) END AS digest,
            '0123456789abcdef' AS digits
        FROM {source} AS e
        LEFT JOIN {sync}.event_ids AS i ON i.event_key = e.event_key
        -- Not acknowledged: no ledger row. A left join and IS NULL, not NOT EXISTS: DuckDB
        -- plans NOT EXISTS as a mark join that hashes the whole ledger (1.1 s at 10M events
        -- for a window of 100k), the left join hashes the window's side (0.3 s).
        LEFT JOIN {sync}.event_ledger AS l ON l.event_key = e.event_key
        WHERE e.event_date >= $start
          AND e.event_date < $end
          AND l.event_key IS NULL
          -- A person on the workspace's suppression list is never tracked
          -- (ledger.record_blocked_rows reports the event).
          AND NOT EXISTS (
              SELECT 1 FROM {suppressions} AS x WHERE x.customer_id = e.customer_id
          )
    ) AS planned
) AS with_bits;

INSERT INTO {sync}.event_ids (event_key, event_id, occurred_at, assigned_at, run_id)
SELECT p.event_key, p.event_id, p.occurred_at, $assigned_at, $run_id
FROM {sync}.events_plan AS p
LEFT JOIN {sync}.event_ids AS i ON i.event_key = p.event_key
WHERE p.event_date >= $start
  AND p.event_date < $end
  AND i.event_key IS NULL;
