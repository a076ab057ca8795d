-- Customers a person listed in the sync's test_cohort table (created empty by ledgers.sql).
SELECT DISTINCT customer_id FROM {sync}.test_cohort ORDER BY customer_id
