-- retention.loyalty_programs for one as-of day: one row per loyalty tier of the shop, with its
-- display name, its perk and how many customers held it at the end of the day (from
-- retention.customer_state of the same day). A tier nobody holds keeps its row with 0 members,
-- so its Customer.io object stays and says so.
--
-- Parameters: $as_of_date DATE, the partition day.
WITH programs (program_code, program_name, perk, min_points) AS (
    VALUES
        ('bronze', 'Bronze', NULL, 0),
        ('silver', 'Silver', 'free shipping', 500),
        ('gold', 'Gold', 'free shipping and early access', 2000),
        ('platinum', 'Platinum', 'free shipping, early access and a yearly gift', 5000)
),

holders AS (
    SELECT loyalty_tier AS program_code, count(*) AS members
    FROM retention.customer_state
    WHERE as_of_date = $as_of_date AND loyalty_tier IS NOT NULL
    GROUP BY loyalty_tier
)

SELECT
    CAST($as_of_date AS DATE) AS as_of_date,
    p.program_code,
    p.program_name,
    p.perk,
    CAST(p.min_points AS BIGINT) AS min_points,
    CAST(coalesce(h.members, 0) AS BIGINT) AS members
FROM programs AS p
LEFT JOIN holders AS h ON h.program_code = p.program_code
