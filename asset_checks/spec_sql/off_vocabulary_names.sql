-- Distinct event names of the checked days outside the vocabulary (null included), with their
-- event counts; names are few, events may be many.
SELECT {event_name} AS event_name, count(*) AS events, min({event_key}) AS example_event_key
FROM {relation}
WHERE {partition} BETWEEN $first_day AND $last_day
  AND ({event_name} IS NULL OR {event_name} NOT IN ({allowed}))
GROUP BY {event_name}
ORDER BY events DESC, event_name
LIMIT $max_names
