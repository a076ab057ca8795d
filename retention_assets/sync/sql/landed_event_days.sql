-- The event days of the sync's source that received rows after $since (by loaded_at), with the
-- latest landing time of each: what a continuous sync sends next. $since is the sensor's cursor.
SELECT event_date, max(loaded_at) AS landed_until
FROM {source}
WHERE loaded_at > $since
GROUP BY event_date
ORDER BY event_date
