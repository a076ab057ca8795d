-- Planned events of [$start, $end) still waiting for Customer.io: not in the ledger and not
-- set aside as an open rejection, which later runs retry on their own.
SELECT count(*)
FROM {sync}.events_plan AS p
WHERE p.event_date >= $start
  AND p.event_date < $end
  AND NOT EXISTS (SELECT 1 FROM {sync}.event_ledger AS l WHERE l.event_key = p.event_key)
  AND NOT EXISTS (
      SELECT 1 FROM {sync}.rejected_rows AS r
      WHERE r.stream = $stream AND r.row_key = p.event_key AND r.resolved_at IS NULL
  )
