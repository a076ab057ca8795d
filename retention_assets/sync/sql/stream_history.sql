-- How many rows of each stream Customer.io has acknowledged: none means an initial import.
SELECT
    (SELECT count(*) FROM {sync}.customer_ledger) AS profiles_synced,
    (SELECT count(*) FROM {sync}.event_ledger) AS events_synced,
    (SELECT count(*) FROM {sync}.membership_ledger) AS membership_synced
