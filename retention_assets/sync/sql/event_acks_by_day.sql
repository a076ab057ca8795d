-- What one run got acknowledged (or suppressed), per UTC day and disposition.
SELECT event_date, disposition, count(*) AS events
FROM {sync}.event_ledger
WHERE run_id = $run_id AND event_date >= $start AND event_date < $end
GROUP BY event_date, disposition
