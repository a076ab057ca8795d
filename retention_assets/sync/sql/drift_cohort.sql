-- The profiles to read back from Customer.io: the declared test cohort (if the table
-- cio_sync.test_cohort exists, it is created empty by the ledgers script) plus a
-- repeatable sample of acknowledged profiles.
SELECT customer_id FROM cio_sync.test_cohort
UNION
SELECT customer_id FROM (
    SELECT customer_id FROM cio_sync.customer_ledger
    ORDER BY md5(customer_id || $salt)
    LIMIT $sample_size
) AS sampled
