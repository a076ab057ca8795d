-- The imports a stream has been through: an initial import into an empty ledger, a backfill,
-- or a plan a person allowed past the volume guard. An import stays open (completed_at NULL)
-- until nothing it planned is left to send, so every run that resumes it applies its backfill
-- policy and its guard approval, whatever that run's own tags say.
CREATE SCHEMA IF NOT EXISTS cio_sync;

CREATE TABLE IF NOT EXISTS cio_sync.sync_imports (
    import_id VARCHAR NOT NULL,
    stream VARCHAR NOT NULL,
    window_start DATE NOT NULL,
    window_end DATE NOT NULL,
    kind VARCHAR NOT NULL,
    backfill_policy VARCHAR,
    started_at TIMESTAMPTZ NOT NULL,
    approval VARCHAR,
    approved_at TIMESTAMPTZ,
    completed_at TIMESTAMPTZ
);
