-- What the ledger says Customer.io holds for the given profiles (staged in selected_keys),
-- and when Customer.io acknowledged it.
SELECT l.customer_id, l.attribute, l.value_hash, l.acknowledged_at
FROM {sync}.attribute_ledger AS l
JOIN selected_keys AS k ON k.row_key = l.customer_id
