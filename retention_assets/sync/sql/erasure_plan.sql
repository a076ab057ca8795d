-- The plan of an erasure stream: every id of the relation that the workspace's suppression
-- list does not hold yet, to be suppressed. A request repeated in the relation is one
-- suppress, stamped with its earliest requested_at.
DELETE FROM {sync}.removals_plan;

INSERT INTO {sync}.removals_plan
SELECT CAST($as_of AS DATE), s.customer_id, 'suppress', min(s.requested_at)
FROM {source} AS s
WHERE s.customer_id IS NOT NULL
  AND trim(s.customer_id) <> ''
  AND NOT EXISTS (SELECT 1 FROM {suppressions} AS x WHERE x.customer_id = s.customer_id)
GROUP BY s.customer_id;
