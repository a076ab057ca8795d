-- retention.vip_audience for one as-of day: one row per customer the VIP rule rates gold or
-- silver at the end of the day (from retention.customer_state of the same day). A customer
-- who drops to no tier has no row that day, and leaves the Customer.io segment.
--
-- Parameters: $as_of_date DATE, the partition day.
SELECT
    CAST($as_of_date AS DATE) AS as_of_date,
    customer_id,
    vip_tier
FROM retention.customer_state
WHERE as_of_date = $as_of_date AND is_vip
