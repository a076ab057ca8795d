-- The customers the identity plan looks up through the App API: those of the $as_of day this
-- sync never wrote (no customer_ledger row), not suppressed, with an email, whose lookup is
-- missing, was of another email, or is older than $stale_before. {email} is the source
-- view's quoted email column; emails are compared trimmed and lower-cased, as Customer.io does.
SELECT s.customer_id, lower(trim(CAST(s.{email} AS VARCHAR))) AS email
FROM {source} AS s
LEFT JOIN {sync}.customer_ledger AS l
    ON l.customer_id = s.customer_id
LEFT JOIN {sync}.identity_lookups AS k
    ON k.customer_id = s.customer_id AND k.email = lower(trim(CAST(s.{email} AS VARCHAR)))
WHERE s.as_of_date = $as_of
  AND s.customer_id IS NOT NULL
  AND l.customer_id IS NULL
  AND coalesce(trim(CAST(s.{email} AS VARCHAR)), '') <> ''
  AND NOT EXISTS (SELECT 1 FROM {suppressions} AS x WHERE x.customer_id = s.customer_id)
  AND (k.customer_id IS NULL OR k.looked_up_at < $stale_before)
ORDER BY s.customer_id
