-- The planned pairs of one shard not yet acknowledged (acknowledged ones leave the plan when
-- folded), with the relationship attributes each add or change carries as JSON object text
-- (NULL for a removal, or when there are none). A template (sql_files.sharded_sql): braces are
-- doubled.
SELECT
    p.row_key,
    p.person_id,
    p.target_id,
    p.action,
    CASE WHEN p.action = 'remove' THEN NULL
         ELSE '{{' || string_agg(
             to_json(a.attribute) || ':' || coalesce(a.value_json, 'null'), ','
         ) || '}}' END AS attributes_json
FROM {sync}.membership_plan AS p
LEFT JOIN {sync}.membership_attribute_plan AS a
    ON a.as_of_date = p.as_of_date AND a.person_id = p.person_id AND a.target_id = p.target_id
WHERE p.as_of_date = $as_of
  AND {shard_filter}
GROUP BY p.row_key, p.person_id, p.target_id, p.action
