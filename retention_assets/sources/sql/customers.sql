-- Customer profiles: every per-customer draw is made once here; the later steps explode these
-- counts into rows. Instants are epoch microseconds (UTC).
CREATE OR REPLACE TEMP TABLE _gen_customer AS
WITH draws AS (
    SELECT
        c::BIGINT AS customer_id,
        _gen_rnd(c, 'segment') AS u_segment,
        _gen_rnd(c, 'orders') AS u_orders,
        _gen_rnd(c, 'dormant') AS u_dormant,
        _gen_rnd(c, 'idle') AS u_idle,
        _gen_rnd(c, 'created') AS u_created,
        _gen_rnd(c, 'versions') AS u_versions,
        _gen_rnd(c, 'email_change') AS u_email_change,
        _gen_rnd(c, 'tickets') AS u_tickets,
        _gen_rnd(c, 'subscriptions') AS u_subscriptions,
        _gen_rnd(c, 'loyalty') AS u_loyalty,
        _gen_rnd(c, 'country') AS u_country,
        _gen_rnd(c, 'phone') AS u_phone,
        getvariable('gen_hi_us') - getvariable('gen_lo_us') AS span_us
    FROM range(1, getvariable('gen_customers') + 1) AS r(c)
),
shaped AS (
    SELECT
        *,
        -- Segments: browsers (no orders), light, regular and loyal buyers. With ~$70 baskets
        -- this spreads lifetime revenue over the 'none', 'silver' and 'gold' VIP tiers.
        CASE
            WHEN u_segment < 0.15 THEN 0
            WHEN u_segment < 0.55 THEN 1 + floor(u_orders * 5)
            WHEN u_segment < 0.90 THEN 4 + floor(u_orders * 11)
            ELSE 12 + floor(u_orders * 33)
        END::INTEGER AS n_orders,
        CASE
            WHEN u_versions < 0.35 THEN 1
            WHEN u_versions < 0.65 THEN 2
            WHEN u_versions < 0.85 THEN 3
            WHEN u_versions < 0.95 THEN 4
            ELSE 5
        END::INTEGER AS n_versions,
        CASE
            WHEN u_tickets < 0.50 THEN 0
            WHEN u_tickets < 0.75 THEN 1
            WHEN u_tickets < 0.90 THEN 2 + floor(_gen_rnd(customer_id, 'tickets_n') * 2)
            ELSE 4 + floor(_gen_rnd(customer_id, 'tickets_n') * 5)
        END::INTEGER AS n_tickets,
        floor(_gen_rnd(customer_id, 'sessions') * 13)::INTEGER AS n_sessions,
        CASE
            WHEN u_country < 0.84 THEN 'US'
            WHEN u_country < 0.92 THEN 'CA'
            WHEN u_country < 0.96 THEN 'GB'
            WHEN u_country < 0.98 THEN 'DE'
        END AS country
    FROM draws
),
timed AS (
    SELECT
        *,
        CASE
            WHEN n_orders = 0 THEN 0
            WHEN u_subscriptions < 0.35 THEN 1
            WHEN u_subscriptions < 0.40 THEN 2
            ELSE 0
        END::INTEGER AS n_subscriptions,
        CASE
            WHEN u_loyalty < (CASE WHEN n_orders > 0 THEN 0.55 ELSE 0.15 END)
                THEN 1 + floor(_gen_rnd(customer_id, 'loyalty_n') * 5)
            ELSE 0
        END::INTEGER AS n_loyalty,
        -- Dormant buyers stop all activity 61-150 days before the end of the window, so
        -- reactivation has candidates; only when the window is long enough to show it.
        n_orders > 0 AND u_dormant < 0.20 AND span_us > _gen_days(75) AS is_dormant
    FROM shaped
),
bounded AS (
    SELECT
        *,
        CASE
            WHEN is_dormant THEN getvariable('gen_hi_us')
                - least(_gen_days(61 + u_idle * 89), span_us - _gen_days(7))
            ELSE getvariable('gen_hi_us')
        END AS active_until_us
    FROM timed
)
SELECT
    customer_id,
    n_orders,
    n_versions,
    n_tickets,
    n_sessions,
    n_subscriptions,
    n_loyalty,
    is_dormant,
    active_until_us,
    -- Sign-ups lean towards the start of the window (the brand's existing base) and keep at
    -- least a tenth of the active span ahead of them for activity.
    getvariable('gen_lo_us') + floor(
        u_created * u_created * 0.9 * (active_until_us - getvariable('gen_lo_us'))
    )::BIGINT AS created_us,
    country,
    floor(_gen_rnd(customer_id, 'favourite') * (SELECT count(*) FROM _gen_category))::INTEGER
        AS favourite_category_no,
    _gen_pick(
        ['Ava', 'Liam', 'Olivia', 'Noah', 'Emma', 'Oliver', 'Sophia', 'Elijah', 'Isabella',
         'James', 'Mia', 'Lucas', 'Amelia', 'Mateo', 'Harper', 'Ethan', 'Evelyn', 'Mason',
         'Chloe', 'Leo', 'Nora', 'Hugo', 'Lena', 'Jonas', 'Emily', 'Jack', 'Grace', 'Aiden',
         'Zoe', 'Felix', 'Maya', 'Theo', 'Aria', 'Owen', 'Ella', 'Caleb', 'Ines', 'Omar',
         'Priya', 'Kenji'],
        _gen_rnd(customer_id, 'first_name')
    ) AS first_name,
    CASE
        WHEN u_phone < 0.55 THEN
            CASE country WHEN 'GB' THEN '+447' WHEN 'DE' THEN '+4915' ELSE '+1' END
            || (2000000000 + floor(_gen_rnd(customer_id, 'phone_no') * 7999999999))::BIGINT
    END AS phone,
    -- A single email change, at a later CDC version, for about a fifth of the customers.
    CASE
        WHEN n_versions >= 2 AND u_email_change < 0.30
            THEN 2 + floor(_gen_rnd(customer_id, 'email_change_at') * (n_versions - 1))
    END::INTEGER AS email_change_version,
    _gen_pick(
        ['gmail.com', 'yahoo.com', 'outlook.com', 'icloud.com', 'hotmail.com', 'proton.me',
         'aol.com', 'gmx.de'],
        _gen_rnd(customer_id, 'domain')
    ) AS domain,
    _gen_pick(
        ['gmail.com', 'icloud.com', 'outlook.com', 'fastmail.com'],
        _gen_rnd(customer_id, 'new_domain')
    ) AS new_domain,
    -- Running totals give each customer a private block of ids for each child table.
    (100000 + sum(n_orders) OVER ids - n_orders)::BIGINT AS order_id_base,
    (1000 + sum(n_subscriptions) OVER ids - n_subscriptions)::BIGINT AS subscription_id_base,
    (500000 + sum(n_tickets) OVER ids - n_tickets)::BIGINT AS ticket_id_base,
    (sum(n_sessions) OVER ids - n_sessions)::BIGINT AS session_no_base
FROM bounded
WINDOW ids AS (ORDER BY customer_id ROWS UNBOUNDED PRECEDING);

-- Customer CDC rows, plus orphan rows without a customer_id that the shop export emits for
-- guest checkouts. Flags record which messy case each row was made to be.
CREATE OR REPLACE TEMP TABLE _gen_customer_row AS
WITH versions AS (
    SELECT *, unnest(range(1, n_versions + 1))::INTEGER AS version
    FROM _gen_customer
),
stamped AS (
    SELECT
        *,
        -- Version v changes within the v-th slice of the remaining window: strictly later.
        CASE
            WHEN version = 1 THEN created_us
            ELSE created_us + floor(
                (version - 1 + 0.9 * _gen_rnd2(customer_id, version, 'updated_at')) / n_versions
                * (getvariable('gen_hi_us') - created_us)
            )::BIGINT
        END AS updated_us,
        CASE
            WHEN version >= email_change_version
                THEN lower(first_name) || customer_id || '@' || new_domain
            ELSE lower(first_name) || '.' || customer_id || '@' || domain
        END AS clean_email,
        -- Some updates (phone, address) arrive without the email; never the change itself.
        version > 1 AND version IS DISTINCT FROM email_change_version
            AND _gen_rnd2(customer_id, version, 'null_email') < 0.12 AS is_null_email,
        _gen_rnd2(customer_id, version, 'stray') AS u_stray
    FROM versions
),
orphans AS (
    SELECT
        g,
        NULL::BIGINT AS customer_id,
        'guest.' || g || '@' || _gen_pick(['gmail.com', 'yahoo.com'], _gen_rnd(g, 'orphan_d'))
            AS email,
        NULL AS phone,
        NULL AS first_name,
        'US' AS country,
        getvariable('gen_lo_us') + floor(
            _gen_rnd(g, 'orphan_at') * (getvariable('gen_hi_us') - getvariable('gen_lo_us'))
        )::BIGINT AS created_us,
        created_us AS updated_us,
        created_us + _gen_minutes(2 + _gen_rnd(g, 'orphan_lag') * 360) AS loaded_us,
        1 AS version,
        FALSE AS is_null_email,
        FALSE AS is_stray_email,
        FALSE AS is_last_version
    FROM range(greatest(1, getvariable('gen_customers') // 500)) AS r(g)
)
SELECT
    customer_id,
    CASE
        WHEN is_null_email THEN NULL
        WHEN u_stray < 0.025 THEN upper(clean_email)
        WHEN u_stray < 0.050 THEN ' ' || clean_email
        WHEN u_stray < 0.0625 THEN clean_email || '  '
        -- A tab and a line break, as a spreadsheet export leaves them.
        WHEN u_stray < 0.075 THEN clean_email || chr(9) || chr(10)
        WHEN u_stray < 0.100 THEN upper(clean_email[1]) || clean_email[2:]
        ELSE clean_email
    END AS email,
    phone,
    first_name,
    country,
    created_us,
    updated_us,
    version,
    is_null_email,
    NOT is_null_email AND u_stray < 0.100 AS is_stray_email,
    version = n_versions AS is_last_version,
    updated_us + _gen_minutes(2 + _gen_rnd2(customer_id, version, 'lag') * 360) AS loaded_us
FROM stamped
UNION ALL BY NAME
SELECT * EXCLUDE (g)
FROM orphans;

INSERT INTO raw.customers BY NAME
SELECT
    customer_id,
    email,
    phone,
    first_name,
    country,
    _gen_shop(created_us) AS created_at,
    _gen_shop(updated_us) AS updated_at,
    _gen_utc(loaded_us) AS _loaded_at
FROM _gen_customer_row;
