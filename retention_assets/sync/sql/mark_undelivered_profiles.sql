-- Profiles Customer.io acknowledged in this run and then dropped (staged in temp table
-- selected_keys by delivery_audit.py). What this run wrote to their ledger rows is not what
-- Customer.io holds: each such value and digest becomes $undelivered, which matches no hash,
-- so the next plan sends every attribute again with fresh data (clears included, which a
-- deleted ledger row would lose) and does not count the profile as new. A rejection this run's
-- fold resolved is reopened, so that record_rejections.sql counts one more attempt on it.
UPDATE cio_sync.attribute_ledger
SET value_hash = $undelivered
WHERE run_id = $run_id
  AND customer_id IN (SELECT row_key FROM selected_keys);

UPDATE cio_sync.customer_ledger
SET row_digest = $undelivered
WHERE run_id = $run_id
  AND customer_id IN (SELECT row_key FROM selected_keys);

UPDATE cio_sync.rejected_rows
SET resolved_at = NULL
WHERE stream = $stream
  AND resolved_at >= $since
  AND row_key IN (SELECT row_key FROM selected_keys);
