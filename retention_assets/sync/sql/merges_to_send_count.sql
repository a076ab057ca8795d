-- How many merges merges_to_send.sql will send.
SELECT count(*)
FROM {sync}.identity_plan AS h
WHERE h.as_of_date = $as_of
  AND h.outcome = 'merge'
  AND NOT EXISTS (
      SELECT 1 FROM {sync}.identity_merges AS m
      WHERE m.customer_id = h.customer_id AND m.secondary_cio_id = h.secondary_cio_id
  )
