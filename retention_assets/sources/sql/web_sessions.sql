-- Logged-in sessions within each customer's active span, plus anonymous sessions (1.2 per
-- customer) anywhere in the window. Analytics exports land hourly.
CREATE OR REPLACE TEMP TABLE _gen_session AS
WITH known AS (
    SELECT
        customer_id,
        session_no,
        created_us
            + floor(_gen_rnd(session_no, 'started_at') * (active_until_us - created_us))::BIGINT
            AS started_us
    FROM (
        SELECT *, session_no_base + unnest(range(n_sessions)) AS session_no
        FROM _gen_customer
        WHERE n_sessions > 0
    )
),
anonymous AS (
    SELECT
        NULL::BIGINT AS customer_id,
        (SELECT count(*) FROM known) + a AS session_no,
        getvariable('gen_lo_us') + floor(
            _gen_rnd(a, 'anonymous_at') * (getvariable('gen_hi_us') - getvariable('gen_lo_us'))
        )::BIGINT AS started_us
    FROM range(getvariable('gen_customers') * 6 // 5) AS r(a)
),
sessions AS (
    SELECT * FROM known
    UNION ALL
    SELECT * FROM anonymous
)
SELECT
    'ws_' || session_no AS session_id,
    customer_id,
    started_us,
    started_us + _gen_minutes(30 + _gen_rnd(session_no, 'lag') * 150) AS loaded_us
FROM sessions;

INSERT INTO raw.web_sessions BY NAME
SELECT
    session_id,
    customer_id,
    _gen_utc(started_us) AS started_at,
    _gen_utc(loaded_us) AS _loaded_at
FROM _gen_session;
