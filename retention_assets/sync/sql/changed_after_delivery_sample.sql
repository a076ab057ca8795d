-- A few of the events counted as changed_after_delivery (events_plan_changes.sql), for the
-- plan's log: the key, the time Customer.io holds and the model's time now.
SELECT e.event_key, l.occurred_at AS delivered_at, e.occurred_at
FROM {source} AS e
JOIN {sync}.event_ledger AS l ON l.event_key = e.event_key
WHERE e.event_date >= $start
  AND e.event_date < $end
  AND l.disposition <> 'suppressed'
  AND l.occurred_at <> e.occurred_at
ORDER BY e.event_key
LIMIT $limit
