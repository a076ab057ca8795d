-- The removals of one profile plan ($as_of): profiles this sync wrote (customer_ledger) whose
-- row is gone from the source's $as_of day, to be sent $action (clear, delete or suppress;
-- 'keep' plans none). Never a profile the ledger does not show, never one already removed
-- (removal_ledger), and only from the newest day the sync has written: a backfill of an
-- older day, or a day without any row (not built yet), removes nobody. One removal plan per
-- stream: it replaces the previous one.
DELETE FROM {sync}.removals_plan;

INSERT INTO {sync}.removals_plan
SELECT CAST($as_of AS DATE), l.customer_id, $action, CAST(NULL AS TIMESTAMPTZ)
FROM {sync}.customer_ledger AS l
WHERE $action <> 'keep'
  AND EXISTS (SELECT 1 FROM {source} AS d WHERE d.as_of_date = $as_of)
  AND CAST($as_of AS DATE) >= (SELECT max(m.as_of_date) FROM {sync}.customer_ledger AS m)
  AND NOT EXISTS (
      SELECT 1 FROM {source} AS s
      WHERE s.as_of_date = $as_of AND s.customer_id = l.customer_id
  )
  AND NOT EXISTS (
      SELECT 1 FROM {sync}.removal_ledger AS r WHERE r.customer_id = l.customer_id
  );
