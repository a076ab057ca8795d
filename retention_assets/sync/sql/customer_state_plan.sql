-- The per-field difference between one customer-state partition and what Customer.io holds.
-- The wide value list, the digest input, the attribute list and the clear-policy list are
-- generated from the attribute registry (retention_assets/sync/encoding.py).
-- $as_of is the partition day.
DELETE FROM {sync}.customer_state_plan_profiles WHERE as_of_date = $as_of;
DELETE FROM {sync}.customer_state_plan WHERE as_of_date = $as_of;

-- Profiles whose whole attribute row differs from the acknowledged one. Values acknowledged
-- from a newer snapshot are never overwritten by an older snapshot.
-- An id on the workspace's suppression list is never planned (ledger.record_blocked_rows
-- reports it).
INSERT INTO {sync}.customer_state_plan_profiles
WITH wide AS (
    SELECT customer_id, {wide_values}
    FROM {source} AS s
    WHERE as_of_date = $as_of
      AND NOT EXISTS (SELECT 1 FROM {suppressions} AS x WHERE x.customer_id = s.customer_id)
),
digests AS (
    SELECT customer_id, md5({digest_input}) AS row_digest
    FROM wide
)
SELECT CAST($as_of AS DATE), w.customer_id, w.row_digest, l.customer_id IS NULL
FROM digests AS w
LEFT JOIN {sync}.customer_ledger AS l ON l.customer_id = w.customer_id
WHERE l.customer_id IS NULL
   OR (l.row_digest <> w.row_digest AND l.as_of_date <= $as_of);

-- For those profiles only: the attributes to set (changed value) or clear (null, with the
-- clear policy, and a value Customer.io still holds).
INSERT INTO {sync}.customer_state_plan
WITH wide AS (
    SELECT s.customer_id, {wide_values}
    FROM {source} AS s
    JOIN {sync}.customer_state_plan_profiles AS p
        ON p.customer_id = s.customer_id AND p.as_of_date = s.as_of_date
    WHERE s.as_of_date = $as_of
),
current_values AS (
    SELECT customer_id, attribute, value_json
    FROM wide
    UNPIVOT INCLUDE NULLS (value_json FOR attribute IN ({attribute_list}))
),
hashed AS (
    SELECT customer_id, attribute, value_json, md5(value_json) AS value_hash
    FROM current_values
)
SELECT
    CAST($as_of AS DATE),
    v.customer_id,
    v.attribute,
    CASE WHEN v.value_json IS NULL THEN 'clear' ELSE 'set' END,
    v.value_json,
    v.value_hash
FROM hashed AS v
LEFT JOIN {sync}.attribute_ledger AS l
    ON l.customer_id = v.customer_id AND l.attribute = v.attribute
WHERE (v.value_json IS NOT NULL AND v.value_hash IS DISTINCT FROM l.value_hash)
   OR (
        v.value_json IS NULL
        AND v.attribute IN {clear_attributes}
        AND l.value_hash IS NOT NULL
   );
