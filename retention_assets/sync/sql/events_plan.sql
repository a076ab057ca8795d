-- Events of the partition window [$start, $end) that Customer.io has not acknowledged.
DELETE FROM cio_sync.events_plan WHERE event_date >= $start AND event_date < $end;

INSERT INTO cio_sync.events_plan
SELECT e.event_key, e.event_name, e.customer_id, e.occurred_at, e.event_date, e.properties
FROM retention.events AS e
WHERE e.event_date >= $start
  AND e.event_date < $end
  AND NOT EXISTS (SELECT 1 FROM cio_sync.event_ledger AS l WHERE l.event_key = e.event_key);
