-- The app's raw tables as a loader lands them (the dbt project's sources): ids and
-- timestamps as text, times local to Europe/Berlin. The tests fill them, standing in for
-- the loader.
CREATE SCHEMA IF NOT EXISTS raw_app;

CREATE OR REPLACE TABLE raw_app.users (
    id VARCHAR,
    email VARCHAR,
    plan VARCHAR,
    lifetime_value_cents BIGINT,
    marketing_opt_in BOOLEAN,
    seats BIGINT,
    created_local VARCHAR
);

CREATE OR REPLACE TABLE raw_app.actions (
    id VARCHAR,
    user_id VARCHAR,
    kind VARCHAR,
    happened_local VARCHAR,
    total_cents BIGINT,
    plan VARCHAR
);
