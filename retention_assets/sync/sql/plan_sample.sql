-- A few planned identify payloads, for review in the UI before anything is sent.
SELECT
    p.customer_id,
    bool_or(pp.is_new_profile) AS is_new_profile,
    '{{' || string_agg(to_json(p.attribute) || ':' || coalesce(p.value_json, 'null'), ',') || '}}'
        AS attributes_json
FROM {sync}.customer_state_plan AS p
JOIN {sync}.customer_state_plan_profiles AS pp
    ON pp.customer_id = p.customer_id AND pp.as_of_date = p.as_of_date
WHERE p.as_of_date = $as_of
GROUP BY p.customer_id
ORDER BY p.customer_id
LIMIT $limit
