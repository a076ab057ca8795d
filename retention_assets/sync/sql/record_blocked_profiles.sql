-- Rows of the $as_of day whose id is on the workspace's suppression list, staged in temp table
-- rejected_keys for record_rejections.sql: they are reported, never sent.
DELETE FROM rejected_keys;

INSERT INTO rejected_keys
SELECT s.customer_id, min(x.reason), 'id',
       'this id is on the workspace suppression list (' || min(x.reason) || '): it is never sent'
FROM {source} AS s
JOIN {suppressions} AS x ON x.customer_id = s.customer_id
WHERE s.as_of_date = $as_of
GROUP BY s.customer_id;
