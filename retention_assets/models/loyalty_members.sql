-- retention.loyalty_members for one as-of day: one row per customer in a loyalty tier at the
-- end of the day, with their points balance (from retention.customer_state of the same day).
-- A customer who leaves the program (no tier any more) has no row that day.
--
-- Parameters: $as_of_date DATE, the partition day.
SELECT
    CAST($as_of_date AS DATE) AS as_of_date,
    customer_id,
    loyalty_tier AS program_code,
    loyalty_points AS points
FROM retention.customer_state
WHERE as_of_date = $as_of_date AND loyalty_tier IS NOT NULL
