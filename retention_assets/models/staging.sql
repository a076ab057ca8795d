-- Staging of the raw tables: every raw value rule of docs/raw-contract.md, written once.
-- Not a statement on its own: these are the first common table expressions of both models,
-- of the build's verdict counts and of the raw-table checks (retention_assets/models/
-- raw_rules.py puts "WITH" before them and the reader's own query after them).
--
-- Each staged_<table> is a row-by-row projection of raw.<table> (no aggregate, no window), so
-- a reader's filters on keys and times still reach the raw table. It carries:
--   customer_id      the id as text, trimmed of surrounding spaces, tabs, CR and LF
--   id_trimmed       whether trimming changed it (a normalisation, counted)
--   rejected_reason  NULL when the row is usable, else the first rule it breaks, in this
--                    order: id, status, timestamp, amount. Readers exclude these rows.
-- Other columns keep their raw names with normalised values; raw_* columns keep what the
-- loader wrote, for the checks' samples.
--
-- Parameters:
--   $shop_zone                  zone of the shop platform's naive timestamps
--   $earliest_plausible         TIMESTAMPTZ: business times before it are rejected
--   $earliest_plausible_utc     the same instant, naive UTC, for the naive-UTC tables
--   $future_skew_seconds        business times later than _loaded_at plus this are rejected
--                               (nothing can have happened after it was loaded)
-- Template fields (filled by raw_rules.py from a fixed set, by the column's warehouse type):
--   {customers_updated_at}, {orders_placed_at}, {refunds_refunded_at}   the instant of a
--   shop timestamp: timezone($shop_zone, col) for a naive column, the value itself for a
--   zone-aware (TIMESTAMPTZ) column, which already holds an instant.
--   <table>_customer_id   the id as text: trimmed of spaces, tabs, CR and LF for a text column;
--   only cast for an integer column, whose text has no whitespace to trim (trimming millions
--   of ids that cannot need it was most of the cost of reading them).
staged_customers AS (
    SELECT
        raw_customer_id,
        customer_id,
        id_trimmed,
        raw_email,
        -- An address that is not one is dropped as an attribute; the customer stays.
        CASE WHEN email_valid THEN email END AS email,
        raw_email IS NOT NULL AND NOT email_valid AS email_invalid,
        email_valid AND email <> raw_email AS email_normalised,
        raw_updated_at,
        updated_at,
        _loaded_at,
        CASE
            WHEN customer_id IS NULL OR customer_id = '' THEN 'customer_id_missing'
            WHEN customer_id <> regexp_replace(customer_id, '[[:cntrl:]]', '')
                THEN 'customer_id_control_characters'
        END AS rejected_reason
    FROM (
        SELECT
            *,
            -- Usable: one "@", something before it, a domain with an inner dot, no control
            -- character.
            coalesce(
                email LIKE '_%@_%._%'
                AND email NOT LIKE '%@%@%'
                AND email NOT LIKE '%@.%'
                AND email NOT LIKE '%.'
                AND email NOT LIKE '%..%'
                AND email = regexp_replace(email, '[[:cntrl:]]', ''),
                FALSE
            ) AS email_valid
        FROM (
            SELECT
                CAST(customer_id AS VARCHAR) AS raw_customer_id,
                {customers_customer_id}
                    AS customer_id,
                {customers_customer_id}
                    <> CAST(customer_id AS VARCHAR) AS id_trimmed,
                email AS raw_email,
                -- No whitespace belongs in an address: spaces, tabs and line breaks anywhere go.
                NULLIF(
                    lower(
                        translate(
                            email, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13), ''
                        )
                    ),
                    ''
                ) AS email,
                updated_at AS raw_updated_at,
                {customers_updated_at} AS updated_at,
                _loaded_at
            FROM raw.customers
        ) AS customers_text
    ) AS customers_judged
),

staged_orders AS (
    SELECT
        order_id,
        customer_id,
        id_trimmed,
        raw_customer_id,
        raw_status,
        status,
        status IS NOT NULL AND status <> raw_status AS status_normalised,
        currency,
        raw_total_amount,
        -- Only usable amounts are turned into exact decimals: a NaN cannot be one.
        CASE
            WHEN rejected_reason IS NULL THEN CAST(raw_total_amount AS DECIMAL(18, 2))
        END AS total_amount,
        raw_placed_at,
        placed_at,
        _loaded_at,
        rejected_reason
    FROM (
        SELECT
            *,
            CASE
                WHEN customer_id IS NULL OR customer_id = '' THEN 'customer_id_missing'
                WHEN customer_id <> regexp_replace(customer_id, '[[:cntrl:]]', '')
                    THEN 'customer_id_control_characters'
                WHEN status IS NULL OR status NOT IN ('placed', 'cancelled') THEN 'status_unknown'
                WHEN placed_at IS NULL THEN 'timestamp_missing'
                WHEN placed_at < $earliest_plausible
                    OR placed_at
                    > timezone('UTC', _loaded_at) + INTERVAL ($future_skew_seconds) SECOND
                    THEN 'timestamp_implausible'
                WHEN raw_total_amount IS NULL THEN 'amount_missing'
                -- NaN and infinities: a DOUBLE column can hold them, no DECIMAL can.
                WHEN CAST(raw_total_amount AS DOUBLE) = CAST('NaN' AS DOUBLE)
                    OR abs(CAST(raw_total_amount AS DOUBLE)) >= 1e15
                    THEN 'amount_not_a_number'
                WHEN raw_total_amount < 0 THEN 'amount_negative'
            END AS rejected_reason
        FROM (
            SELECT
                order_id,
                CAST(customer_id AS VARCHAR) AS raw_customer_id,
                {orders_customer_id}
                    AS customer_id,
                {orders_customer_id}
                    <> CAST(customer_id AS VARCHAR) AS id_trimmed,
                status AS raw_status,
                lower(trim(status, ' ' || chr(9) || chr(10) || chr(13))) AS status,
                currency,
                total_amount AS raw_total_amount,
                placed_at AS raw_placed_at,
                {orders_placed_at} AS placed_at,
                _loaded_at
            FROM raw.orders
        ) AS orders_text
    ) AS orders_judged
),

staged_refunds AS (
    SELECT
        refund_id,
        order_id,
        raw_amount,
        CASE WHEN rejected_reason IS NULL THEN CAST(raw_amount AS DECIMAL(18, 2)) END AS amount,
        reason,
        raw_refunded_at,
        refunded_at,
        _loaded_at,
        rejected_reason
    FROM (
        SELECT
            *,
            CASE
                WHEN refunded_at IS NULL THEN 'timestamp_missing'
                WHEN refunded_at < $earliest_plausible
                    OR refunded_at
                    > timezone('UTC', _loaded_at) + INTERVAL ($future_skew_seconds) SECOND
                    THEN 'timestamp_implausible'
                WHEN raw_amount IS NULL THEN 'amount_missing'
                WHEN CAST(raw_amount AS DOUBLE) = CAST('NaN' AS DOUBLE)
                    OR abs(CAST(raw_amount AS DOUBLE)) >= 1e15
                    THEN 'amount_not_a_number'
                WHEN raw_amount < 0 THEN 'amount_negative'
            END AS rejected_reason
        FROM (
            SELECT
                refund_id,
                order_id,
                amount AS raw_amount,
                reason,
                refunded_at AS raw_refunded_at,
                {refunds_refunded_at} AS refunded_at,
                _loaded_at
            FROM raw.refunds
        ) AS refunds_text
    ) AS refunds_judged
),

staged_subscriptions AS (
    SELECT
        *,
        status IS NOT NULL AND status <> raw_status AS status_normalised,
        CASE
            WHEN customer_id IS NULL OR customer_id = '' THEN 'customer_id_missing'
            WHEN customer_id <> regexp_replace(customer_id, '[[:cntrl:]]', '')
                THEN 'customer_id_control_characters'
            WHEN status IS NULL OR status NOT IN ('active', 'paused', 'cancelled')
                THEN 'status_unknown'
            WHEN updated_at IS NULL THEN 'timestamp_missing'
            WHEN updated_at < $earliest_plausible_utc
                OR updated_at > _loaded_at + INTERVAL ($future_skew_seconds) SECOND
                THEN 'timestamp_implausible'
        END AS rejected_reason
    FROM (
        SELECT
            subscription_id,
            CAST(customer_id AS VARCHAR) AS raw_customer_id,
            {subscriptions_customer_id}
                AS customer_id,
            {subscriptions_customer_id}
                <> CAST(customer_id AS VARCHAR) AS id_trimmed,
            status AS raw_status,
            lower(trim(status, ' ' || chr(9) || chr(10) || chr(13))) AS status,
            updated_at,
            _loaded_at
        FROM raw.subscriptions
    ) AS subscriptions_text
),

staged_support_tickets AS (
    SELECT
        *,
        CASE
            WHEN customer_id IS NULL OR customer_id = '' THEN 'customer_id_missing'
            WHEN customer_id <> regexp_replace(customer_id, '[[:cntrl:]]', '')
                THEN 'customer_id_control_characters'
            WHEN opened_at IS NULL THEN 'timestamp_missing'
            WHEN opened_at < $earliest_plausible_utc
                OR opened_at > _loaded_at + INTERVAL ($future_skew_seconds) SECOND
                THEN 'timestamp_implausible'
        END AS rejected_reason
    FROM (
        SELECT
            ticket_id,
            CAST(customer_id AS VARCHAR) AS raw_customer_id,
            {support_tickets_customer_id}
                AS customer_id,
            {support_tickets_customer_id}
                <> CAST(customer_id AS VARCHAR) AS id_trimmed,
            opened_at,
            _loaded_at
        FROM raw.support_tickets
    ) AS tickets_text
),

staged_web_sessions AS (
    -- A session without a customer is anonymous, not a defect: only a present but broken id
    -- is rejected.
    SELECT
        *,
        CASE
            WHEN customer_id <> regexp_replace(customer_id, '[[:cntrl:]]', '')
                THEN 'customer_id_control_characters'
        END AS rejected_reason
    FROM (
        SELECT
            session_id,
            CAST(customer_id AS VARCHAR) AS raw_customer_id,
            NULLIF(
                {web_sessions_customer_id}, ''
            ) AS customer_id,
            {web_sessions_customer_id}
                <> CAST(customer_id AS VARCHAR) AS id_trimmed,
            started_at,
            _loaded_at
        FROM raw.web_sessions
    ) AS sessions_text
),

staged_loyalty_accounts AS (
    SELECT
        *,
        CASE
            WHEN customer_id IS NULL OR customer_id = '' THEN 'customer_id_missing'
            WHEN customer_id <> regexp_replace(customer_id, '[[:cntrl:]]', '')
                THEN 'customer_id_control_characters'
        END AS rejected_reason
    FROM (
        SELECT
            CAST(customer_id AS VARCHAR) AS raw_customer_id,
            {loyalty_accounts_customer_id}
                AS customer_id,
            {loyalty_accounts_customer_id}
                <> CAST(customer_id AS VARCHAR) AS id_trimmed,
            points_balance,
            tier,
            updated_at,
            _loaded_at
        FROM raw.loyalty_accounts
    ) AS loyalty_text
),

staged_privacy_requests AS (
    -- A request's type is its status: normalised and judged like an order's.
    SELECT
        *,
        request_type IS NOT NULL AND request_type <> raw_request_type AS status_normalised,
        CASE
            WHEN customer_id IS NULL OR customer_id = '' THEN 'customer_id_missing'
            WHEN customer_id <> regexp_replace(customer_id, '[[:cntrl:]]', '')
                THEN 'customer_id_control_characters'
            WHEN request_type IS NULL OR request_type NOT IN ('erasure', 'access')
                THEN 'status_unknown'
        END AS rejected_reason
    FROM (
        SELECT
            request_id,
            CAST(customer_id AS VARCHAR) AS raw_customer_id,
            {privacy_requests_customer_id}
                AS customer_id,
            {privacy_requests_customer_id}
                <> CAST(customer_id AS VARCHAR) AS id_trimmed,
            request_type AS raw_request_type,
            lower(trim(request_type, ' ' || chr(9) || chr(10) || chr(13))) AS request_type,
            requested_at,
            _loaded_at
        FROM raw.privacy_requests
    ) AS requests_text
),

erased_customers AS (
    -- Every customer who ever asked to be erased, with the first request: no model holds
    -- them on any day, rebuilt or not (the erasure sync suppresses them in Customer.io).
    SELECT customer_id, min(requested_at) AS requested_at
    FROM staged_privacy_requests
    WHERE rejected_reason IS NULL AND request_type = 'erasure'
    GROUP BY customer_id
)
