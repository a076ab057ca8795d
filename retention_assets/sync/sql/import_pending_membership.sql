-- Pairs of the latest membership plan still waiting for Customer.io, not set aside as an open
-- rejection (later runs retry those on their own).
SELECT count(*)
FROM {sync}.membership_plan AS p
WHERE p.as_of_date = (SELECT max(as_of_date) FROM {sync}.membership_plan)
  AND NOT EXISTS (
      SELECT 1 FROM {sync}.rejected_rows AS r
      WHERE r.stream = $stream AND r.row_key = p.row_key AND r.resolved_at IS NULL
  )
