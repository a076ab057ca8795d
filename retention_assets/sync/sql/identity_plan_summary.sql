-- Customers of the $as_of identity plan per outcome.
SELECT outcome, count(*)
FROM {sync}.identity_plan
WHERE as_of_date = $as_of
GROUP BY outcome
