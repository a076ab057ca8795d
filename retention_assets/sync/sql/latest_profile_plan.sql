-- The as-of day of the most recent customer-state plan, if any: its profiles or its removals.
SELECT max(as_of_date) FROM (
    SELECT max(as_of_date) AS as_of_date FROM {sync}.customer_state_plan_profiles
    UNION ALL
    SELECT max(as_of_date) AS as_of_date FROM {sync}.removals_plan
) AS plans
