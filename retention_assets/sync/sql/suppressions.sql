-- The workspace's suppression list: every id a sync of the workspace had Customer.io suppress
-- (an erasure stream's requests, reason 'erased'; a profile sync's `on_removed: suppress`,
-- reason 'suppressed'), written only once Customer.io acknowledged the suppress. Every person
-- plan of the workspace (profiles and events) excludes these ids and reports their rows as
-- rejected; profile syncs tombstone their ledger rows of them (apply_suppressions.sql).
CREATE SCHEMA IF NOT EXISTS {suppressions_schema};

CREATE TABLE IF NOT EXISTS {suppressions} (
    customer_id VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    stream VARCHAR NOT NULL,
    requested_at TIMESTAMPTZ,
    acknowledged_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR NOT NULL
);
