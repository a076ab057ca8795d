-- The pairs of one membership partition that differ from what this pipeline added: pairs to
-- add (not in the ledger, or removed before), pairs whose relationship attributes changed,
-- and pairs to remove (in the ledger, no longer in the relation). A pair acknowledged from a
-- newer partition is neither changed nor removed by an older one. The value list, the digest
-- input and the pair's key expression are generated (plans.py, encoding.py from the
-- relationship attributes). $as_of is the partition day.
DELETE FROM {sync}.membership_plan WHERE as_of_date = $as_of;
DELETE FROM {sync}.membership_attribute_plan WHERE as_of_date = $as_of;

INSERT INTO {sync}.membership_plan
WITH wide AS (
    SELECT customer_id, target_id{wide_values}
    FROM {source}
    WHERE as_of_date = $as_of
),
current_pairs AS (
    SELECT customer_id AS person_id, target_id, md5({digest_input}) AS row_digest
    FROM wide
)
SELECT CAST($as_of AS DATE), {row_key}, c.person_id, c.target_id,
       CASE WHEN l.present THEN 'change' ELSE 'add' END, c.row_digest
FROM current_pairs AS c
LEFT JOIN {sync}.membership_ledger AS l
    ON l.person_id = c.person_id AND l.target_id = c.target_id
WHERE l.person_id IS NULL
   OR (l.as_of_date <= $as_of AND (NOT l.present OR l.row_digest <> c.row_digest))
UNION ALL
SELECT CAST($as_of AS DATE), {row_key}, c.person_id, c.target_id, 'remove', CAST(NULL AS VARCHAR)
FROM {sync}.membership_ledger AS c
WHERE c.present
  AND c.as_of_date <= $as_of
  AND NOT EXISTS (
      SELECT 1 FROM {source} AS s
      WHERE s.as_of_date = $as_of AND s.customer_id = c.person_id AND s.target_id = c.target_id
  );
