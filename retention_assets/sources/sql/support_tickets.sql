-- Tickets within each customer's active span. Recent tickets are mostly still open; a few
-- old ones were never solved.
CREATE OR REPLACE TEMP TABLE _gen_ticket AS
WITH tickets AS (
    SELECT
        customer_id,
        ticket_id,
        created_us
            + floor(_gen_rnd(ticket_id, 'opened_at') * (active_until_us - created_us))::BIGINT
            AS opened_us
    FROM (
        SELECT *, ticket_id_base + unnest(range(n_tickets)) AS ticket_id
        FROM _gen_customer
        WHERE n_tickets > 0
    )
)
SELECT
    customer_id,
    ticket_id,
    opened_us,
    CASE
        WHEN opened_us > getvariable('gen_hi_us') - _gen_days(3)
            THEN CASE WHEN _gen_rnd(ticket_id, 'open') < 0.70 THEN 'open' ELSE 'solved' END
        ELSE CASE WHEN _gen_rnd(ticket_id, 'open') < 0.03 THEN 'open' ELSE 'solved' END
    END AS status,
    opened_us + _gen_minutes(1 + _gen_rnd(ticket_id, 'lag') * 120) AS loaded_us
FROM tickets;

INSERT INTO raw.support_tickets BY NAME
SELECT
    ticket_id,
    customer_id,
    _gen_utc(opened_us) AS opened_at,
    status,
    _gen_utc(loaded_us) AS _loaded_at
FROM _gen_ticket;
