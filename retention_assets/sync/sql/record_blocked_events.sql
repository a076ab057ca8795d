-- Events of [$start, $end) whose person is on the workspace's suppression list, staged in temp
-- table rejected_keys for record_rejections.sql: they are reported, never sent.
DELETE FROM rejected_keys;

INSERT INTO rejected_keys
SELECT e.event_key, min(x.reason), 'customer_id',
       'this person is on the workspace suppression list (' || min(x.reason) || '): never sent'
FROM {source} AS e
JOIN {suppressions} AS x ON x.customer_id = e.customer_id
WHERE e.event_date >= $start AND e.event_date < $end
GROUP BY e.event_key;
