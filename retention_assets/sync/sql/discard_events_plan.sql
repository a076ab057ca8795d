-- Empty the events plan of [$start, $end): a refused plan leaves nothing a later send could read.
DELETE FROM {sync}.events_plan WHERE event_date >= $start AND event_date < $end
