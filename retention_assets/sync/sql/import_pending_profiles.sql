-- Profiles of the latest customer-state plan still waiting for Customer.io: not acknowledged
-- (the ledger's digest differs) and not set aside as an open rejection, which later runs
-- retry on their own; and the planned removals not yet acknowledged.
SELECT (SELECT count(*) FROM {sync}.removals_plan) + count(*)
FROM {sync}.customer_state_plan_profiles AS pp
LEFT JOIN {sync}.customer_ledger AS l
    ON l.customer_id = pp.customer_id
WHERE pp.as_of_date = (SELECT max(as_of_date) FROM {sync}.customer_state_plan_profiles)
  AND (l.customer_id IS NULL OR l.row_digest <> pp.row_digest)
  AND NOT EXISTS (
      SELECT 1 FROM {sync}.rejected_rows AS r
      WHERE r.stream = $stream AND r.row_key = pp.customer_id AND r.resolved_at IS NULL
  )
