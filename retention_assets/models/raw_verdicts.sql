-- How many raw rows each raw value rule hit: one statement per raw table, each following the
-- staging CTEs of staging.sql (raw_rules.py joins them), so a build scans only the tables it
-- reads, each once. Per rejection reason (NULL: the rows the models use) the number of rows,
-- and among them the normalisation counts. Columns: source_table, rejected_reason, total,
-- ids_trimmed, emails_normalised, statuses_normalised, emails_invalid.
--
-- Parameters: those of staging.sql, and
--   $loaded_before  TIMESTAMP  naive UTC; only rows landed before it count (NULL: every row)
--   $loaded_from    TIMESTAMP  naive UTC; only rows landed at or after it count (NULL: every
--                              row); an incremental build counts its day's rows alone
customers_verdicts AS (
    SELECT
        'customers' AS source_table,
        rejected_reason,
        count(*) AS total,
        count(*) FILTER (WHERE id_trimmed) AS ids_trimmed,
        count(*) FILTER (WHERE email_normalised) AS emails_normalised,
        0 AS statuses_normalised,
        count(*) FILTER (WHERE email_invalid) AS emails_invalid
    FROM staged_customers
    WHERE ($loaded_before IS NULL OR _loaded_at < $loaded_before)
        AND ($loaded_from IS NULL OR _loaded_at >= $loaded_from)
    GROUP BY rejected_reason
)

SELECT * FROM customers_verdicts;

orders_verdicts AS (
    SELECT
        'orders', rejected_reason, count(*), count(*) FILTER (WHERE id_trimmed), 0,
        count(*) FILTER (WHERE status_normalised), 0
    FROM staged_orders
    WHERE ($loaded_before IS NULL OR _loaded_at < $loaded_before)
        AND ($loaded_from IS NULL OR _loaded_at >= $loaded_from)
    GROUP BY rejected_reason
)

SELECT * FROM orders_verdicts;

refunds_verdicts AS (
    SELECT 'refunds', rejected_reason, count(*), 0, 0, 0, 0
    FROM staged_refunds
    WHERE ($loaded_before IS NULL OR _loaded_at < $loaded_before)
        AND ($loaded_from IS NULL OR _loaded_at >= $loaded_from)
    GROUP BY rejected_reason
)

SELECT * FROM refunds_verdicts;

subscriptions_verdicts AS (
    SELECT
        'subscriptions', rejected_reason, count(*), count(*) FILTER (WHERE id_trimmed), 0,
        count(*) FILTER (WHERE status_normalised), 0
    FROM staged_subscriptions
    WHERE ($loaded_before IS NULL OR _loaded_at < $loaded_before)
        AND ($loaded_from IS NULL OR _loaded_at >= $loaded_from)
    GROUP BY rejected_reason
)

SELECT * FROM subscriptions_verdicts;

support_tickets_verdicts AS (
    SELECT
        'support_tickets', rejected_reason, count(*), count(*) FILTER (WHERE id_trimmed), 0, 0, 0
    FROM staged_support_tickets
    WHERE ($loaded_before IS NULL OR _loaded_at < $loaded_before)
        AND ($loaded_from IS NULL OR _loaded_at >= $loaded_from)
    GROUP BY rejected_reason
)

SELECT * FROM support_tickets_verdicts;

web_sessions_verdicts AS (
    SELECT
        'web_sessions', rejected_reason, count(*), count(*) FILTER (WHERE id_trimmed), 0, 0, 0
    FROM staged_web_sessions
    WHERE ($loaded_before IS NULL OR _loaded_at < $loaded_before)
        AND ($loaded_from IS NULL OR _loaded_at >= $loaded_from)
    GROUP BY rejected_reason
)

SELECT * FROM web_sessions_verdicts;

loyalty_accounts_verdicts AS (
    SELECT
        'loyalty_accounts', rejected_reason, count(*), count(*) FILTER (WHERE id_trimmed), 0,
        0, 0
    FROM staged_loyalty_accounts
    WHERE ($loaded_before IS NULL OR _loaded_at < $loaded_before)
        AND ($loaded_from IS NULL OR _loaded_at >= $loaded_from)
    GROUP BY rejected_reason
)

SELECT * FROM loyalty_accounts_verdicts;

privacy_requests_verdicts AS (
    SELECT
        'privacy_requests', rejected_reason, count(*), count(*) FILTER (WHERE id_trimmed), 0,
        count(*) FILTER (WHERE status_normalised), 0
    FROM staged_privacy_requests
    WHERE ($loaded_before IS NULL OR _loaded_at < $loaded_before)
        AND ($loaded_from IS NULL OR _loaded_at >= $loaded_from)
    GROUP BY rejected_reason
)

SELECT * FROM privacy_requests_verdicts;
