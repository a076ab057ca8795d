-- A few planned removals, for review in the UI before anything is sent.
SELECT customer_id, action
FROM {sync}.removals_plan
WHERE as_of_date = $as_of
ORDER BY customer_id
LIMIT $limit
