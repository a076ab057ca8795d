-- Drop this run's logged acknowledgements of the pairs staged in selected_keys: Customer.io
-- answered 200 but ignored them, so they must never reach the ledger.
DELETE FROM {sync}.membership_acks
WHERE run_id = $run_id AND row_key IN (SELECT row_key FROM selected_keys)
