-- The planned removals of one profile plan, per action.
SELECT action, count(*) AS profiles
FROM {sync}.removals_plan
WHERE as_of_date = $as_of
GROUP BY action
ORDER BY action
