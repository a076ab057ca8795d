-- The planned merges of the $as_of identity plan Customer.io has not acknowledged: the
-- customer's id profile is the primary, the email-only profile (by cio_id) the secondary.
SELECT h.customer_id, h.secondary_cio_id
FROM {sync}.identity_plan AS h
WHERE h.as_of_date = $as_of
  AND h.outcome = 'merge'
  AND NOT EXISTS (
      SELECT 1 FROM {sync}.identity_merges AS m
      WHERE m.customer_id = h.customer_id AND m.secondary_cio_id = h.secondary_cio_id
  )
ORDER BY h.customer_id
