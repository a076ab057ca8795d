-- Profiles Customer.io acknowledged in this run but may not hold (staged in temp table
-- selected_keys by delivery_audit.py). What this run wrote to their ledger rows is not known to
-- be what Customer.io holds: each such value and digest becomes $undelivered, which matches no
-- hash, so the next plan sends every attribute of this run again with fresh data (clears
-- included, which a deleted ledger row would lose) and does not count the profile as new.
UPDATE {sync}.attribute_ledger
SET value_hash = $undelivered
WHERE run_id = $run_id
  AND customer_id IN (SELECT row_key FROM selected_keys);

UPDATE {sync}.customer_ledger
SET row_digest = $undelivered
WHERE run_id = $run_id
  AND customer_id IN (SELECT row_key FROM selected_keys);
