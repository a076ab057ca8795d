-- A few customers of the $as_of identity plan per outcome, for review in the UI (emails are
-- masked by the caller): the merge's email-only profile, or the conflicting profile's id.
SELECT outcome, customer_id, email, coalesce(secondary_cio_id, other_id, '') AS other_profile
FROM {sync}.identity_plan
WHERE as_of_date = $as_of
ORDER BY CASE outcome WHEN 'merge' THEN 0 WHEN 'conflict' THEN 1 WHEN 'adopt' THEN 2 ELSE 3 END,
         customer_id
LIMIT $limit
