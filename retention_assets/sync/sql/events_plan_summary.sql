-- Size of one events plan next to what Customer.io already holds.
SELECT
    (SELECT count(*) FROM {source} WHERE event_date >= $start AND event_date < $end)
        AS events_in_window,
    (SELECT count(*) FROM {sync}.events_plan WHERE event_date >= $start AND event_date < $end)
        AS planned_events,
    (SELECT count(*) FROM {sync}.event_ledger) AS synced_events
