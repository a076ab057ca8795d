-- Gives an id to every event of the window [$start, $end) that Customer.io has not
-- acknowledged and that has none yet; an id once assigned is never changed nor removed, so a
-- re-planned event (late data, a crash before its acknowledgement was recorded, a corrected
-- occurred_at) is sent under the id of its first plan and Customer.io drops the copy.
-- The id is the ULID event_ids.event_ulid computes: 48 bits of the event's time in ms (the
-- one it has now, its first plan) and the first 80 bits of the SHA-256 of its key, in
-- Crockford base32. Each character is looked up with substr: 10 from the time, 16 from four
-- 20-bit numbers read off the digest's first 20 hex digits. A time outside the ULID range
-- (before 1970) is clamped: the id stays unique by its key, only its sort order is lost.
INSERT INTO cio_sync.event_ids (event_key, event_id, occurred_at, assigned_at, run_id)
WITH new_events AS (
    -- Grouped by key: should the model ever hold a key twice (its blocking unique-key check
    -- fails then), the key still gets one id, from the earlier time.
    SELECT
        e.event_key,
        min(e.occurred_at) AS occurred_at,
        least(greatest(CAST(EXTRACT(EPOCH FROM min(e.occurred_at)) * 1000 AS BIGINT), 0),
              281474976710655) AS ms,
        lower(sha256(e.event_key)) AS digest,
        '0123456789abcdef' AS digits
    FROM retention.events AS e
    WHERE e.event_date >= $start
      AND e.event_date < $end
      AND NOT EXISTS (SELECT 1 FROM cio_sync.event_ledger AS l WHERE l.event_key = e.event_key)
      AND NOT EXISTS (SELECT 1 FROM cio_sync.event_ids AS i WHERE i.event_key = e.event_key)
    GROUP BY e.event_key
),
bits AS (
    SELECT
        event_key,
        occurred_at,
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
    FROM new_events
)
SELECT
    event_key,
    -- One concat: 25 || would build 25 intermediate strings per row.
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
    ) AS event_id,
    occurred_at,
    $assigned_at AS assigned_at,
    $run_id AS run_id
FROM bits
