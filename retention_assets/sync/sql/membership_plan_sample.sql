-- A few planned pairs with the relationship attributes they would send, for review in the UI.
SELECT
    p.action,
    p.person_id,
    p.target_id,
    CASE WHEN p.action = 'remove' THEN ''
         ELSE coalesce('{{' || string_agg(
             to_json(a.attribute) || ':' || coalesce(a.value_json, 'null'), ','
         ) || '}}', '') END AS attributes_json
FROM {sync}.membership_plan AS p
LEFT JOIN {sync}.membership_attribute_plan AS a
    ON a.as_of_date = p.as_of_date AND a.person_id = p.person_id AND a.target_id = p.target_id
WHERE p.as_of_date = $as_of
GROUP BY p.action, p.person_id, p.target_id
ORDER BY p.action, p.person_id, p.target_id
LIMIT $limit
