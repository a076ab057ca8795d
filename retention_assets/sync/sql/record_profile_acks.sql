-- Profiles Customer.io acknowledged (keys staged in temp table acked_keys): their planned
-- attribute values become the ledger's, their row digest the customer ledger's.
DELETE FROM cio_sync.attribute_ledger
WHERE EXISTS (
    SELECT 1
    FROM cio_sync.customer_state_plan AS p
    JOIN acked_keys AS a ON a.row_key = p.customer_id
    WHERE p.as_of_date = $as_of
      AND p.customer_id = attribute_ledger.customer_id
      AND p.attribute = attribute_ledger.attribute
);

INSERT INTO cio_sync.attribute_ledger
SELECT p.customer_id, p.attribute, p.value_hash, p.as_of_date, $acknowledged_at, $run_id
FROM cio_sync.customer_state_plan AS p
JOIN acked_keys AS a ON a.row_key = p.customer_id
WHERE p.as_of_date = $as_of;

DELETE FROM cio_sync.customer_ledger
WHERE customer_id IN (SELECT row_key FROM acked_keys);

INSERT INTO cio_sync.customer_ledger
SELECT p.customer_id, p.row_digest, p.as_of_date, $acknowledged_at, $run_id
FROM cio_sync.customer_state_plan_profiles AS p
JOIN acked_keys AS a ON a.row_key = p.customer_id
WHERE p.as_of_date = $as_of;

UPDATE cio_sync.rejected_rows
SET resolved_at = $acknowledged_at
WHERE stream = 'customer_state'
  AND resolved_at IS NULL
  AND row_key IN (SELECT row_key FROM acked_keys);
