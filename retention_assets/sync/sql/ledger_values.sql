-- What the ledger says Customer.io holds for the given profiles (staged in selected_keys).
SELECT l.customer_id, l.attribute, l.value_hash
FROM {sync}.attribute_ledger AS l
JOIN selected_keys AS k ON k.row_key = l.customer_id
