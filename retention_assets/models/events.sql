-- retention.events for the UTC days [$window_start, $window_end): one row per event whose
-- occurred_at falls in the window, read from everything landed so far, so that a late row
-- (a refund landing days after it happened) appears when its day is rebuilt.
--
-- Parameters:
--   $window_start, $window_end          TIMESTAMPTZ  the run's half-open UTC window
--   $window_start_utc, $window_end_utc  TIMESTAMP    the same instants, naive UTC: naive-UTC
--                                                    columns compare with them directly
--   $shop_zone                          VARCHAR      zone of the shop's naive timestamps
--   $order_placed, $order_refunded, $subscription_started, $subscription_paused,
--   $subscription_cancelled, $support_ticket_opened   the locked event names (the events
--                                       spec's vocabulary, each parameter its name in snake case)
--
-- A raw table may hold one row twice (a re-load: same key, later _loaded_at); every source
-- keeps the latest landed version per key BEFORE the window filter, so a re-load that moves a
-- row's time moves its event too. To keep a one-day build from sorting the whole history,
-- only keys with some version in the window are deduplicated. Store-local times are first
-- narrowed by their naive value, a day wider than the window on each side (more than any zone
-- offset), so the exact conversion runs on few rows. Event keys derive from source keys only:
-- they stay the same across rebuilds and the sync turns them into stable Customer.io ids.
--
-- This file is the rest of a statement that begins with the staging CTEs of staging.sql
-- (raw_rules.with_staging; their parameters apply too), which read the raw tables' dirty
-- values once, by the rules of docs/raw-contract.md. A rejected latest version of an order or
-- refund excludes it (an older version must not stand in for it); a rejected history row of a
-- subscription is a change that is not read. The narrowing by naive value reads the raw
-- column, so it also narrows a zone-aware column correctly (a day wider either way).
window_refunds AS (
    SELECT
        refund_id,
        order_id,
        amount,
        reason,
        refunded_at,
        timezone('UTC', _loaded_at) AS loaded_at
    FROM staged_refunds
    WHERE refund_id IN (
        SELECT refund_id
        FROM raw.refunds
        WHERE refunded_at >= $window_start_utc - INTERVAL 1 DAY
            AND refunded_at < $window_end_utc + INTERVAL 1 DAY
    )
    QUALIFY row_number() OVER (PARTITION BY refund_id ORDER BY _loaded_at DESC) = 1
        AND rejected_reason IS NULL
),

orders AS (
    -- Orders placed around the window, and the orders of its refunds (for their customer).
    SELECT
        order_id,
        customer_id,
        status,
        currency,
        total_amount,
        placed_at,
        timezone('UTC', _loaded_at) AS loaded_at
    FROM staged_orders
    WHERE order_id IN (
        SELECT order_id
        FROM raw.orders
        WHERE placed_at >= $window_start_utc - INTERVAL 1 DAY
            AND placed_at < $window_end_utc + INTERVAL 1 DAY
        UNION
        SELECT order_id FROM window_refunds
    )
    QUALIFY row_number() OVER (PARTITION BY order_id ORDER BY _loaded_at DESC) = 1
        AND rejected_reason IS NULL
),

placed_orders AS (
    SELECT *
    FROM orders
    WHERE status = 'placed'
        AND placed_at >= $window_start
        AND placed_at < $window_end
),

order_units AS (
    SELECT order_id, sum(quantity) AS item_count
    FROM (
        SELECT order_id, quantity
        FROM raw.order_items
        WHERE order_id IN (SELECT order_id FROM placed_orders)
        QUALIFY row_number() OVER (
            PARTITION BY order_id, line_number ORDER BY _loaded_at DESC
        ) = 1
    ) AS items
    GROUP BY order_id
),

subscription_history AS (
    -- The whole history of subscriptions that changed in the window: the row before the
    -- window's first change decides whether that change is a start, a pause or a resume.
    SELECT subscription_id, customer_id, status, updated_at, _loaded_at
    FROM staged_subscriptions
    WHERE rejected_reason IS NULL AND subscription_id IN (
        SELECT subscription_id
        FROM raw.subscriptions
        WHERE updated_at >= $window_start_utc AND updated_at < $window_end_utc
    )
    QUALIFY row_number() OVER (
        PARTITION BY subscription_id, updated_at ORDER BY _loaded_at DESC
    ) = 1
),

subscription_transitions AS (
    -- A change of status between consecutive rows of one subscription is an event; the first
    -- row is a change from nothing. Rows repeating the previous status are not events.
    SELECT
        *,
        lag(status) OVER (PARTITION BY subscription_id ORDER BY updated_at) AS previous_status
    FROM subscription_history
),

tickets AS (
    SELECT ticket_id, customer_id, opened_at, _loaded_at
    FROM staged_support_tickets
    WHERE ticket_id IN (
        SELECT ticket_id
        FROM raw.support_tickets
        WHERE opened_at >= $window_start_utc AND opened_at < $window_end_utc
    )
    QUALIFY row_number() OVER (PARTITION BY ticket_id ORDER BY _loaded_at DESC) = 1
        AND rejected_reason IS NULL
),

events AS (
    SELECT
        'order:' || CAST(o.order_id AS VARCHAR) AS event_key,
        $order_placed AS event_name,
        o.customer_id,
        o.placed_at AS occurred_at,
        CAST(
            json_object(
                'order_id', o.order_id,
                'total_amount', o.total_amount,
                'currency', o.currency,
                'item_count', coalesce(u.item_count, 0)
            ) AS VARCHAR
        ) AS properties,
        o.loaded_at
    FROM placed_orders AS o
    LEFT JOIN order_units AS u ON u.order_id = o.order_id

    UNION ALL

    -- A refund carries no customer: it belongs to its order's customer.
    SELECT
        'refund:' || CAST(r.refund_id AS VARCHAR),
        $order_refunded,
        o.customer_id,
        r.refunded_at,
        CAST(
            json_object(
                'refund_id', r.refund_id,
                'order_id', r.order_id,
                'amount', r.amount,
                'reason', r.reason
            ) AS VARCHAR
        ),
        r.loaded_at
    FROM window_refunds AS r
    INNER JOIN orders AS o ON o.order_id = r.order_id
    WHERE r.refunded_at >= $window_start AND r.refunded_at < $window_end

    UNION ALL

    SELECT
        'subscription:' || CAST(subscription_id AS VARCHAR) || ':' || status || ':'
            || strftime(timezone('UTC', updated_at), '%Y-%m-%dT%H:%M:%S.%fZ'),
        CASE status
            WHEN 'active' THEN $subscription_started
            WHEN 'paused' THEN $subscription_paused
            WHEN 'cancelled' THEN $subscription_cancelled
        END,
        customer_id,
        timezone('UTC', updated_at),
        CAST(
            CASE
                WHEN status = 'active' AND previous_status = 'paused'
                    THEN json_object(
                        'subscription_id', subscription_id, 'status', status, 'resumed', TRUE
                    )
                ELSE json_object('subscription_id', subscription_id, 'status', status)
            END AS VARCHAR
        ),
        timezone('UTC', _loaded_at)
    FROM subscription_transitions
    WHERE status IN ('active', 'paused', 'cancelled')
        AND previous_status IS DISTINCT FROM status
        AND updated_at >= $window_start_utc
        AND updated_at < $window_end_utc

    UNION ALL

    SELECT
        'ticket:' || CAST(ticket_id AS VARCHAR),
        $support_ticket_opened,
        customer_id,
        timezone('UTC', opened_at),
        CAST(json_object('ticket_id', ticket_id) AS VARCHAR),
        timezone('UTC', _loaded_at)
    FROM tickets
    WHERE opened_at >= $window_start_utc AND opened_at < $window_end_utc
)

-- Events without a customer cannot be attributed to a profile and are dropped. occurred_at is
-- an instant; the session's zone is UTC on every warehouse, so its date is the UTC day.
-- Stored in time order (each block a narrow range of times, even when written in parallel): a
-- range backfill would otherwise interleave every day in every block, and the sync's reads of a
-- few days (plan, gates) could no longer skip the rest by min/max.
SELECT
    event_key,
    event_name,
    customer_id,
    occurred_at,
    CAST(occurred_at AS DATE) AS event_date,
    properties,
    loaded_at
FROM events
WHERE customer_id IS NOT NULL
    -- Nor are the events of a customer who asked to be erased, whenever the request came.
    AND customer_id NOT IN (SELECT customer_id FROM erased_customers)
ORDER BY occurred_at
