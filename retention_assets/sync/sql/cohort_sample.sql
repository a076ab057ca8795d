-- A random sample of the customers this sync wrote ({ledger}: its customer or event ledger),
-- drawn anew each run ($salt is the run id) and repeatable within it. The declared cohort
-- ({sync}.test_cohort, the spec's members) is read back on top of it. People the workspace
-- suppressed (erased) are gone from Customer.io on purpose, and are not drawn.
SELECT customer_id
FROM (SELECT DISTINCT customer_id FROM {sync}.{ledger}) AS written
WHERE customer_id NOT IN (SELECT customer_id FROM {sync}.test_cohort)
  AND customer_id NOT IN (SELECT customer_id FROM {suppressions})
ORDER BY md5(customer_id || $salt)
LIMIT $sample_size
