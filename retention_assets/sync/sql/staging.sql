-- Session-local staging tables: keys rejected by one flush of a send, the acknowledgements
-- one fold moves into the ledgers, the profiles a send settles without a request, and the
-- profiles a drift check reads back.
CREATE TEMP TABLE IF NOT EXISTS rejected_keys (
    row_key VARCHAR,
    reason VARCHAR,
    field VARCHAR,
    message VARCHAR
);

CREATE TEMP TABLE IF NOT EXISTS folded_profile_acks (
    customer_id VARCHAR,
    as_of_date DATE,
    acknowledged_at TIMESTAMPTZ,
    run_id VARCHAR
);

CREATE TEMP TABLE IF NOT EXISTS settled_profiles (row_key VARCHAR);

CREATE TEMP TABLE IF NOT EXISTS selected_keys (row_key VARCHAR);

CREATE TEMP TABLE IF NOT EXISTS folded_membership_acks (
    row_key VARCHAR,
    person_id VARCHAR,
    target_id VARCHAR,
    as_of_date DATE,
    acknowledged_at TIMESTAMPTZ,
    run_id VARCHAR
);

CREATE TEMP TABLE IF NOT EXISTS folded_removal_acks (
    customer_id VARCHAR,
    as_of_date DATE,
    action VARCHAR,
    requested_at TIMESTAMPTZ,
    acknowledged_at TIMESTAMPTZ,
    run_id VARCHAR
);

CREATE TEMP TABLE IF NOT EXISTS fresh_identity_lookups (
    customer_id VARCHAR,
    email VARCHAR,
    id_known BOOLEAN,
    email_only_cio_id VARCHAR,
    other_id VARCHAR,
    looked_up_at TIMESTAMPTZ
);
