-- Sync bookkeeping in the warehouse. Rows are written only for what Customer.io acknowledged,
-- so a crash at any point leads to a resend, never to a skipped change.
CREATE SCHEMA IF NOT EXISTS {sync};

-- One row per profile Customer.io acknowledged: the digest of the whole attribute row it
-- holds, so a plan can pass over unchanged customers without comparing every attribute.
CREATE TABLE IF NOT EXISTS {sync}.customer_ledger (
    customer_id VARCHAR NOT NULL,
    row_digest VARCHAR NOT NULL,
    as_of_date DATE NOT NULL,
    acknowledged_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR NOT NULL
);

-- What Customer.io holds, per customer and attribute. value_hash is NULL for a cleared attribute.
CREATE TABLE IF NOT EXISTS {sync}.attribute_ledger (
    customer_id VARCHAR NOT NULL,
    attribute VARCHAR NOT NULL,
    value_hash VARCHAR,
    as_of_date DATE NOT NULL,
    acknowledged_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR NOT NULL
);

-- Events Customer.io acknowledged (or that the backfill policy suppressed for good), with the
-- occurred_at the acknowledged request carried: a later change of it is reported, not resent.
CREATE TABLE IF NOT EXISTS {sync}.event_ledger (
    event_key VARCHAR NOT NULL,
    event_ulid VARCHAR NOT NULL,
    customer_id VARCHAR NOT NULL,
    event_date DATE NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    sent_name VARCHAR,
    disposition VARCHAR NOT NULL,
    acknowledged_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR NOT NULL
);

-- The id of every event ever planned, one row per event_key (events_plan.sql adds only
-- keys it lacks; nothing updates or deletes a row): assigned when the event is first planned,
-- before any request carries it, and reused by every later plan, so an event Customer.io may
-- already hold is never sent under a second id. occurred_at is the time the id was made from.
CREATE TABLE IF NOT EXISTS {sync}.event_ids (
    event_key VARCHAR NOT NULL,
    event_id VARCHAR NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    assigned_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR
);

-- Acknowledgements not yet folded into the ledgers above. A send appends to these logs as
-- Customer.io answers (cheap, crash-safe) and folds them into the ledgers once, at its end; a
-- send or plan that finds rows left here by a crashed run folds them first.
CREATE TABLE IF NOT EXISTS {sync}.profile_acks (
    customer_id VARCHAR NOT NULL,
    as_of_date DATE NOT NULL,
    acknowledged_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS {sync}.event_acks (
    event_key VARCHAR NOT NULL,
    event_ulid VARCHAR NOT NULL,
    disposition VARCHAR NOT NULL,
    acknowledged_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR NOT NULL
);

-- Rows Customer.io (or the client's own limit checks) refused. They are not in a ledger, so
-- the next run plans them again with fresh data; resolved_at is set once one is accepted.
CREATE TABLE IF NOT EXISTS {sync}.rejected_rows (
    stream VARCHAR NOT NULL,
    row_key VARCHAR NOT NULL,
    partition_key VARCHAR NOT NULL,
    run_id VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    field VARCHAR,
    message VARCHAR,
    attempts INTEGER NOT NULL,
    first_seen_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    resolved_at TIMESTAMPTZ
);

-- The reviewable plan for one partition: the profiles whose attributes differ from what
-- Customer.io acknowledged...
CREATE TABLE IF NOT EXISTS {sync}.customer_state_plan_profiles (
    as_of_date DATE NOT NULL,
    customer_id VARCHAR NOT NULL,
    row_digest VARCHAR NOT NULL,
    is_new_profile BOOLEAN NOT NULL
);

-- ...and, for them, one row per attribute to set or clear. value_json is the exact JSON text
-- that will be sent (NULL when the attribute is cleared).
CREATE TABLE IF NOT EXISTS {sync}.customer_state_plan (
    as_of_date DATE NOT NULL,
    customer_id VARCHAR NOT NULL,
    attribute VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    value_json VARCHAR,
    value_hash VARCHAR
);

-- Events of a partition that Customer.io has not acknowledged yet, with their ids from
-- {sync}.event_ids (copied at plan time: the shards of a send read them without a join).
CREATE TABLE IF NOT EXISTS {sync}.events_plan (
    event_key VARCHAR NOT NULL,
    event_name VARCHAR NOT NULL,
    customer_id VARCHAR NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    event_date DATE NOT NULL,
    properties VARCHAR,
    event_id VARCHAR NOT NULL
);

-- Profiles always read back by the drift check (a test cohort a person maintains).
CREATE TABLE IF NOT EXISTS {sync}.test_cohort (customer_id VARCHAR NOT NULL);

-- The imports a stream has been through: an initial import into an empty ledger, a backfill,
-- or a plan a person allowed past the volume guard. An import stays open (completed_at NULL)
-- until nothing it planned is left to send, so every run that resumes it applies its backfill
-- policy and its guard approval, whatever that run's own tags say.
CREATE TABLE IF NOT EXISTS {sync}.sync_imports (
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

-- What each shard step of a send reported, read by the send's summary step. The steps hand
-- nothing to each other through Dagster's IO manager, so a send works on any executor (one
-- pod per step included) without shared storage. A re-executed shard replaces its report in
-- the run group (the root run of a re-execution). Syncs sharing this schema (a profile and an
-- event sync of one workspace) run in one run: `stream` keeps their reports apart.
CREATE TABLE IF NOT EXISTS {sync}.send_reports (
    stream VARCHAR NOT NULL,
    run_group VARCHAR NOT NULL,
    shard_index INTEGER NOT NULL,
    shard_count INTEGER NOT NULL,
    report VARCHAR NOT NULL,
    reported_at TIMESTAMPTZ NOT NULL
);

-- Membership streams (relationships, or the members of one manual segment): one row per pair
-- this pipeline added and Customer.io acknowledged. target_id is the related object's id ('' for
-- a segment's member). A pair whose removal Customer.io acknowledged keeps its row with present
-- false, so that an older partition never adds back what a newer one removed. Pairs someone
-- added in Customer.io are in no row here, and no plan ever removes them.
CREATE TABLE IF NOT EXISTS {sync}.membership_ledger (
    person_id VARCHAR NOT NULL,
    target_id VARCHAR NOT NULL,
    present BOOLEAN NOT NULL,
    row_digest VARCHAR,
    as_of_date DATE NOT NULL,
    acknowledged_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR NOT NULL
);

-- The relationship attributes Customer.io holds per pair, as attribute_ledger holds a profile's.
CREATE TABLE IF NOT EXISTS {sync}.membership_attribute_ledger (
    person_id VARCHAR NOT NULL,
    target_id VARCHAR NOT NULL,
    attribute VARCHAR NOT NULL,
    value_hash VARCHAR,
    as_of_date DATE NOT NULL,
    acknowledged_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR NOT NULL
);

-- The reviewable plan of a membership stream: the pairs to add, change (their relationship
-- attributes) or remove. row_key names the pair in rejected_rows and in the acknowledgement log.
CREATE TABLE IF NOT EXISTS {sync}.membership_plan (
    as_of_date DATE NOT NULL,
    row_key VARCHAR NOT NULL,
    person_id VARCHAR NOT NULL,
    target_id VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    row_digest VARCHAR
);

-- ...and, for the pairs added or changed, the relationship attributes to set or clear.
CREATE TABLE IF NOT EXISTS {sync}.membership_attribute_plan (
    as_of_date DATE NOT NULL,
    person_id VARCHAR NOT NULL,
    target_id VARCHAR NOT NULL,
    attribute VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    value_json VARCHAR,
    value_hash VARCHAR
);

CREATE TABLE IF NOT EXISTS {sync}.membership_acks (
    row_key VARCHAR NOT NULL,
    as_of_date DATE NOT NULL,
    acknowledged_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR NOT NULL
);

-- The removals of the newest profile plan (docs/removals.md): profiles this sync wrote whose
-- row is gone from the source (`on_removed`), or the ids an erasure stream asks to suppress.
-- action is what is sent: clear (identify with this sync's attributes set to null), delete or
-- suppress. Rows leave once Customer.io acknowledges them.
CREATE TABLE IF NOT EXISTS {sync}.removals_plan (
    as_of_date DATE NOT NULL,
    customer_id VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    requested_at TIMESTAMPTZ
);

-- Acknowledged removals not yet folded (like profile_acks).
CREATE TABLE IF NOT EXISTS {sync}.removal_acks (
    customer_id VARCHAR NOT NULL,
    as_of_date DATE NOT NULL,
    action VARCHAR NOT NULL,
    acknowledged_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR NOT NULL
);

-- Tombstones: profiles this sync removed (cleared, deleted, suppressed, or erased by the
-- workspace's suppression list), one row each, so that none is removed twice. A profile that
-- comes back and is acknowledged again leaves this table.
CREATE TABLE IF NOT EXISTS {sync}.removal_ledger (
    customer_id VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    as_of_date DATE NOT NULL,
    acknowledged_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR NOT NULL
);

-- Identity reconciliation (docs/identity.md), person profile streams that declare
-- identity.email_attribute. What the App API said about a customer the sync never wrote, per
-- customer and the (folded) email looked up: whether a profile with its id exists, the cio_id
-- of an email-only profile with that email, and the id of another profile holding it. A plan
-- looks a customer up again only when the email changed or the lookup is older than the TTL.
CREATE TABLE IF NOT EXISTS {sync}.identity_lookups (
    customer_id VARCHAR NOT NULL,
    email VARCHAR NOT NULL,
    id_known BOOLEAN NOT NULL,
    email_only_cio_id VARCHAR,
    other_id VARCHAR,
    looked_up_at TIMESTAMPTZ NOT NULL
);

-- The reviewable identity plan of one partition: one row per customer looked up, with its
-- outcome (new, known, adopt, merge, conflict). A merge names the email-only profile merged
-- into the customer's id profile; a conflict the id of the profile holding the email.
CREATE TABLE IF NOT EXISTS {sync}.identity_plan (
    as_of_date DATE NOT NULL,
    customer_id VARCHAR NOT NULL,
    email VARCHAR NOT NULL,
    outcome VARCHAR NOT NULL,
    secondary_cio_id VARCHAR,
    other_id VARCHAR
);

-- Merges Customer.io acknowledged, for good (a merge is irreversible and never sent twice),
-- and their acknowledgement log, folded into it like the other logs.
CREATE TABLE IF NOT EXISTS {sync}.identity_merges (
    customer_id VARCHAR NOT NULL,
    secondary_cio_id VARCHAR NOT NULL,
    acknowledged_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS {sync}.identity_merge_acks (
    customer_id VARCHAR NOT NULL,
    secondary_cio_id VARCHAR NOT NULL,
    acknowledged_at TIMESTAMPTZ NOT NULL,
    run_id VARCHAR NOT NULL
);
