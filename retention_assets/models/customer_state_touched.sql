-- The customers whose state as of $as_of_date can differ from their state as of the day before:
-- those with a raw row that became visible during the day, i.e. counted by the day's build (both
-- its _loaded_at and its business time before $as_of_end) and not by the previous day's (one of
-- them at or after $since, the previous day's end). An incremental build
-- (customer_state.py) computes these customers from the raw tables like a full build does, and
-- carries every other customer's previous row forward (customer_state_carried.sql).
-- Rejected rows count too: a rejected latest version can remove an order or keep a
-- subscription's state, and taking too many customers only costs time, never correctness.
--
-- The rest of a statement that begins with the staging CTEs; customer_state.py stores its
-- result in the temporary table touched_customers before the day's INSERT, which reads it (as
-- customer_state_touched_orders.sql does), so the INSERT holds a few thousand ids in memory
-- instead of every staged raw row at once. Parameters: those of customer_state.sql, and
--   $since       TIMESTAMPTZ  the end of the previous day (the start of $as_of_date)
--   $since_utc   TIMESTAMP    the same instant, naive UTC
changed_orders AS (
    -- Orders with a version, a refund or an item that became visible during the day.
    SELECT order_id
    FROM staged_orders
    WHERE _loaded_at < $as_of_end_utc AND (_loaded_at >= $since_utc OR placed_at >= $since)
    UNION
    SELECT order_id
    FROM staged_refunds
    WHERE _loaded_at < $as_of_end_utc AND (_loaded_at >= $since_utc OR refunded_at >= $since)
    UNION
    SELECT order_id
    FROM raw.order_items
    WHERE _loaded_at >= $since_utc AND _loaded_at < $as_of_end_utc
),

changed_subscriptions AS (
    SELECT subscription_id
    FROM staged_subscriptions
    WHERE _loaded_at < $as_of_end_utc AND (_loaded_at >= $since_utc OR updated_at >= $since_utc)
),

touched AS (
    -- Every customer any version of a changed order or subscription names: a version that
    -- moves one to another customer changes both.
    SELECT DISTINCT customer_id
    FROM (
        SELECT customer_id
        FROM staged_orders
        WHERE order_id IN (SELECT order_id FROM changed_orders)
        UNION ALL
        SELECT customer_id
        FROM staged_subscriptions
        WHERE subscription_id IN (SELECT subscription_id FROM changed_subscriptions)
        UNION ALL
        SELECT customer_id
        FROM staged_customers
        WHERE _loaded_at < $as_of_end_utc AND (_loaded_at >= $since_utc OR updated_at >= $since)
        UNION ALL
        SELECT customer_id
        FROM staged_web_sessions
        WHERE _loaded_at < $as_of_end_utc AND (_loaded_at >= $since_utc OR started_at >= $since_utc)
        UNION ALL
        SELECT customer_id
        FROM staged_support_tickets
        WHERE _loaded_at < $as_of_end_utc AND (_loaded_at >= $since_utc OR opened_at >= $since_utc)
        UNION ALL
        SELECT customer_id
        FROM staged_loyalty_accounts
        WHERE _loaded_at < $as_of_end_utc AND (_loaded_at >= $since_utc OR updated_at >= $since_utc)
    ) AS named
    WHERE customer_id IS NOT NULL
)

SELECT customer_id FROM touched
