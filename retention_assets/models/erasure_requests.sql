-- retention.erasure_requests: one row per customer who asked to be erased, with the first
-- request. The rest of a statement that begins with the staging CTEs (raw_rules.with_staging):
-- erased_customers there is the one definition of who counts as erased, which the customer
-- state and the events models read too.
erasures AS (
    SELECT customer_id, timezone('UTC', requested_at) AS requested_at
    FROM erased_customers
)

SELECT customer_id, requested_at
FROM erasures
ORDER BY customer_id
