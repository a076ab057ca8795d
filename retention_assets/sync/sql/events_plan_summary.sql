-- Size of one events plan next to what Customer.io already holds.
SELECT
    (SELECT count(*) FROM retention.events WHERE event_date >= $start AND event_date < $end)
        AS events_in_window,
    (SELECT count(*) FROM cio_sync.events_plan WHERE event_date >= $start AND event_date < $end)
        AS planned_events,
    (SELECT count(*) FROM cio_sync.event_ledger) AS synced_events
