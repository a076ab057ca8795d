-- Privacy requests (GDPR/CCPA) from the privacy tool: about 1 customer in 250 asks to be
-- erased and as many for a copy of their data (access); a fifth of them send the form again
-- a few days later (a new request id for the same customer). The type is spelled as the tool
-- exports it, sometimes in capitals. A request comes after the account exists.
CREATE OR REPLACE TEMP TABLE _gen_privacy_request AS
WITH askers AS (
    SELECT
        customer_id,
        created_us,
        CASE
            WHEN _gen_rnd(customer_id, 'privacy') < 0.004 THEN 'erasure'
            WHEN _gen_rnd(customer_id, 'privacy') < 0.008 THEN 'access'
        END AS request_type,
        CASE WHEN _gen_rnd(customer_id, 'privacy_again') < 0.2 THEN 2 ELSE 1 END AS n_requests
    FROM _gen_customer
),
requests AS (
    SELECT
        customer_id,
        request_type,
        n AS request_no,
        created_us + floor(
            _gen_rnd(customer_id, 'privacy_at') * (getvariable('gen_hi_us') - created_us)
        )::BIGINT AS first_us
    FROM askers, unnest(range(n_requests)) AS r(n)
    WHERE request_type IS NOT NULL
)
SELECT
    (700000 + row_number() OVER (ORDER BY customer_id, request_no))::BIGINT AS request_id,
    customer_id,
    CASE
        WHEN _gen_rnd2(customer_id, request_no, 'privacy_case') < 0.2 THEN upper(request_type)
        ELSE request_type
    END AS request_type,
    least(
        first_us + request_no * _gen_days(1 + 3 * _gen_rnd(customer_id, 'privacy_gap')),
        getvariable('gen_hi_us')
    )::BIGINT AS requested_us,
    requested_us + _gen_minutes(1 + _gen_rnd2(customer_id, request_no, 'privacy_lag') * 30)
        AS loaded_us
FROM requests;

INSERT INTO raw.privacy_requests BY NAME
SELECT
    request_id,
    customer_id,
    request_type,
    _gen_utc(requested_us) AS requested_at,
    _gen_utc(loaded_us) AS _loaded_at
FROM _gen_privacy_request;
