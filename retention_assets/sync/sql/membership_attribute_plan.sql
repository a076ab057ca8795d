-- For the pairs the membership plan adds or changes: the relationship attributes to set (a
-- changed value) or clear (null, with the clear policy, and a value Customer.io still holds).
-- Generated lists as in customer_state_plan.sql. Run only when the stream has attributes.
INSERT INTO {sync}.membership_attribute_plan
WITH wide AS (
    SELECT s.customer_id AS person_id, s.target_id, {wide_values}
    FROM {source} AS s
    JOIN {sync}.membership_plan AS p
        ON p.person_id = s.customer_id AND p.target_id = s.target_id
        AND p.as_of_date = s.as_of_date
    WHERE s.as_of_date = $as_of AND p.action <> 'remove'
),
current_values AS (
    SELECT person_id, target_id, attribute, value_json
    FROM wide
    UNPIVOT INCLUDE NULLS (value_json FOR attribute IN ({attribute_list}))
),
hashed AS (
    SELECT person_id, target_id, attribute, value_json, md5(value_json) AS value_hash
    FROM current_values
)
SELECT
    CAST($as_of AS DATE),
    v.person_id,
    v.target_id,
    v.attribute,
    CASE WHEN v.value_json IS NULL THEN 'clear' ELSE 'set' END,
    v.value_json,
    v.value_hash
FROM hashed AS v
LEFT JOIN {sync}.membership_attribute_ledger AS l
    ON l.person_id = v.person_id AND l.target_id = v.target_id AND l.attribute = v.attribute
WHERE (v.value_json IS NOT NULL AND v.value_hash IS DISTINCT FROM l.value_hash)
   OR (
        v.value_json IS NULL
        AND v.attribute IN {clear_attributes}
        AND l.value_hash IS NOT NULL
   );
