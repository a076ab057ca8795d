-- Events of the partition window [$start, $end) that Customer.io has not acknowledged, each
-- with the id assign_event_ids.sql (run just before) gave it when it was first planned.
DELETE FROM cio_sync.events_plan WHERE event_date >= $start AND event_date < $end;

INSERT INTO cio_sync.events_plan
    (event_key, event_name, customer_id, occurred_at, event_date, properties, event_id)
SELECT e.event_key, e.event_name, e.customer_id, e.occurred_at, e.event_date, e.properties,
    i.event_id
FROM retention.events AS e
JOIN cio_sync.event_ids AS i ON i.event_key = e.event_key
WHERE e.event_date >= $start
  AND e.event_date < $end
  AND NOT EXISTS (SELECT 1 FROM cio_sync.event_ledger AS l WHERE l.event_key = e.event_key);
