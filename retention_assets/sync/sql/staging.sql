-- Session-local staging tables: keys acknowledged or rejected by one flush of a send.
CREATE TEMP TABLE IF NOT EXISTS acked_keys (row_key VARCHAR);

CREATE TEMP TABLE IF NOT EXISTS acked_events (
    event_key VARCHAR,
    event_ulid VARCHAR,
    customer_id VARCHAR,
    event_date DATE,
    sent_name VARCHAR,
    disposition VARCHAR
);

CREATE TEMP TABLE IF NOT EXISTS rejected_keys (
    row_key VARCHAR,
    reason VARCHAR,
    field VARCHAR,
    message VARCHAR
);

CREATE TEMP TABLE IF NOT EXISTS selected_keys (row_key VARCHAR);
