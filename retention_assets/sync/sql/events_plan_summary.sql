-- Size of one events plan next to what Customer.io already holds.
SELECT
    (SELECT count(*) FROM {source} WHERE event_date >= $start AND event_date < $end)
        AS events_in_window,
    (SELECT count(*) FROM {sync}.events_plan WHERE event_date >= $start AND event_date < $end)
        AS planned_events,
    (SELECT count(*) FROM {source} AS e
        WHERE e.event_date >= $start AND e.event_date < $end
          AND EXISTS (SELECT 1 FROM {suppressions} AS x WHERE x.customer_id = e.customer_id))
        AS suppressed_events,
    (SELECT count(*) FROM {sync}.event_ledger) AS synced_events
