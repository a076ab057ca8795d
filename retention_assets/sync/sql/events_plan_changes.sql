-- Events of the window [$start, $end) whose occurred_at changed after their id was fixed.
-- changed_after_delivery: Customer.io acknowledged the event with another occurred_at than the
-- model has now; it is in the ledger, so it is not resent (Customer.io keeps the delivered
-- time). planned_with_changed_time: a planned event whose time differs from the one its id was
-- made from (an earlier plan whose send crashed or was refused); it is sent under that id, so
-- if Customer.io already holds it from a send whose acknowledgement was lost, the copy is
-- dropped and the earlier time stays.
SELECT
    (
        SELECT count(*)
        FROM {source} AS e
        JOIN {sync}.event_ledger AS l ON l.event_key = e.event_key
        WHERE e.event_date >= $start
          AND e.event_date < $end
          AND l.disposition <> 'suppressed'
          AND l.occurred_at <> e.occurred_at
    ) AS changed_after_delivery,
    (
        SELECT count(*)
        FROM {sync}.events_plan AS p
        JOIN {sync}.event_ids AS i ON i.event_key = p.event_key
        WHERE p.event_date >= $start
          AND p.event_date < $end
          AND i.occurred_at <> p.occurred_at
    ) AS planned_with_changed_time
