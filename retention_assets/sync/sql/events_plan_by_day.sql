-- Planned events per UTC day of the window [$start, $end): the per-partition view of a plan.
SELECT event_date, count(*) AS planned_events
FROM {sync}.events_plan
WHERE event_date >= $start AND event_date < $end
GROUP BY event_date
