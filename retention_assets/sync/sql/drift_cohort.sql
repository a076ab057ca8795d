-- The profiles to read back from Customer.io: the declared test cohort (if the table
-- {sync}.test_cohort exists, it is created empty by the ledgers script) plus a
-- repeatable sample of acknowledged profiles.
SELECT customer_id FROM {sync}.test_cohort
UNION
SELECT customer_id FROM (
    SELECT customer_id FROM {sync}.customer_ledger
    ORDER BY md5(customer_id || $salt)
    LIMIT $sample_size
) AS sampled
