-- A few planned identify payloads, for review in the UI before anything is sent.
-- The few customers are picked first, from the plan's one row per profile, so that only their
-- attribute rows are aggregated (a first sync plans every attribute of every customer).
WITH sampled AS (
    SELECT pp.customer_id, pp.is_new_profile
    FROM {sync}.customer_state_plan_profiles AS pp
    WHERE pp.as_of_date = $as_of
        AND EXISTS (
            SELECT 1 FROM {sync}.customer_state_plan AS p
            WHERE p.as_of_date = pp.as_of_date AND p.customer_id = pp.customer_id
        )
    ORDER BY pp.customer_id
    LIMIT $limit
)
SELECT
    s.customer_id,
    s.is_new_profile,
    '{{' || string_agg(to_json(p.attribute) || ':' || coalesce(p.value_json, 'null'), ',') || '}}'
        AS attributes_json
FROM sampled AS s
JOIN {sync}.customer_state_plan AS p
    ON p.customer_id = s.customer_id AND p.as_of_date = $as_of
GROUP BY s.customer_id, s.is_new_profile
ORDER BY s.customer_id
