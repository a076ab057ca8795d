-- retention.customer_state for one as-of day: one row per non-null customer_id seen in
-- raw.customers, computed from what had happened AND had landed by the end of that UTC day,
-- so that rebuilding a past day gives the same rows whatever landed later.
--
-- Parameters:
--   $as_of_date           DATE         the partition day
--   $as_of_end            TIMESTAMPTZ  the instant the day ends (next UTC midnight); a raw row
--                                      counts when its business time and its _loaded_at are
--                                      before it
--   $as_of_end_utc        TIMESTAMP    the same instant, naive UTC: naive-UTC columns
--                                      (_loaded_at, non-shop business times) compare with it
--                                      directly instead of converting every row
--   $reactivation_cutoff  TIMESTAMPTZ  $as_of_end minus the quiet period; activity at or after
--                                      it is recent
--   $shop_zone            VARCHAR      zone of the shop platform's naive timestamps
--   $vip_gold_min, $vip_silver_min, $vip_version   the VIP rule
--   $margin_high_min, $margin_medium_min           lower bounds of the margin buckets
--
-- and the parameters of staging.sql: this file is the rest of a statement that begins with the
-- staging CTEs (raw_rules.with_staging), which read the raw tables' dirty values once, by the
-- rules of docs/raw-contract.md. Rows a rule rejects (rejected_reason) are excluded here.
--
-- A raw table may hold one row twice (a re-load: same key, later _loaded_at). Counts and sums
-- read one version per key, the latest one landed by the as-of instant; max() over timestamps
-- is unaffected by a copy and reads the table as it is. Ids are the staged text ids.
--
-- Template fields (in braces below), filled by customer_state.py from one of two fixed sets.
-- A full build: customer_scope and order_scope are TRUE and carried is empty. An incremental
-- build (the previous day's build is still valid): customer_state_touched.sql's CTEs come
-- first, customer_scope keeps the touched customers (a condition on customer_id), order_scope
-- their orders (a condition on order_id), and carried is customer_state_carried.sql, which adds
-- every other customer's previous row ($previous_date) to the computed profiles.
customers AS (
    -- CDC history: the latest row with a valid email wins, so a later row without one (or
    -- with an invalid one) keeps the known address; customers who never gave one keep a row
    -- with a null email.
    SELECT customer_id, email
    FROM staged_customers
    WHERE rejected_reason IS NULL
        AND _loaded_at < $as_of_end_utc
        AND updated_at < $as_of_end
        AND {customer_scope}
    QUALIFY row_number() OVER (
        PARTITION BY customer_id
        ORDER BY
            CASE WHEN email IS NULL THEN 1 ELSE 0 END,
            updated_at DESC,
            _loaded_at DESC
    ) = 1
),

orders AS (
    -- The latest landed version of each order decides its status (a cancellation re-loads it).
    -- A rejected latest version excludes the order: an older version must not stand in for it
    -- (it could be a placed order that was since cancelled).
    SELECT order_id, customer_id, status, total_amount, placed_at
    FROM staged_orders
    WHERE _loaded_at < $as_of_end_utc AND {order_scope}
    QUALIFY row_number() OVER (PARTITION BY order_id ORDER BY _loaded_at DESC) = 1
        AND rejected_reason IS NULL
),

placed_orders AS (
    SELECT order_id, customer_id, total_amount, placed_at
    FROM orders
    WHERE status = 'placed' AND placed_at < $as_of_end
),

order_totals AS (
    SELECT
        customer_id,
        count(*) AS lifetime_orders,
        sum(total_amount) AS order_revenue,
        min(placed_at) AS first_order_at,
        max(placed_at) AS last_order_at
    FROM placed_orders
    GROUP BY customer_id
),

refunds AS (
    SELECT order_id, amount, refunded_at
    FROM staged_refunds
    WHERE _loaded_at < $as_of_end_utc
    QUALIFY row_number() OVER (PARTITION BY refund_id ORDER BY _loaded_at DESC) = 1
        AND rejected_reason IS NULL
),

refund_totals AS (
    -- A refund belongs to its order's customer. Only refunds on placed orders reduce revenue
    -- (a cancelled order never counted), but any refund is the customer's latest refund.
    SELECT
        o.customer_id,
        sum(
            CASE WHEN o.status = 'placed' AND o.placed_at < $as_of_end THEN r.amount ELSE 0 END
        ) AS refunded_revenue,
        max(r.refunded_at) AS last_refund_at
    FROM refunds AS r
    INNER JOIN orders AS o ON o.order_id = r.order_id
    WHERE r.refunded_at < $as_of_end
    GROUP BY o.customer_id
),

placed_items AS (
    SELECT p.customer_id, i.category, i.quantity, i.unit_price, i.unit_cost
    FROM (
        SELECT order_id, category, quantity, unit_price, unit_cost
        FROM raw.order_items
        WHERE _loaded_at < $as_of_end_utc AND {order_scope}
        QUALIFY row_number() OVER (
            PARTITION BY order_id, line_number ORDER BY _loaded_at DESC
        ) = 1
    ) AS i
    INNER JOIN placed_orders AS p ON p.order_id = i.order_id
),

category_units AS (
    SELECT customer_id, category, sum(quantity) AS units
    FROM placed_items
    WHERE category IS NOT NULL
    GROUP BY customer_id, category
),

top_categories AS (
    -- Most units bought; a tie goes to the alphabetically first category.
    SELECT u.customer_id, min(u.category) AS top_category
    FROM category_units AS u
    INNER JOIN (
        SELECT customer_id, max(units) AS units FROM category_units GROUP BY customer_id
    ) AS most ON most.customer_id = u.customer_id AND most.units = u.units
    GROUP BY u.customer_id
),

margins AS (
    SELECT
        customer_id,
        sum(quantity * unit_price) AS item_revenue,
        sum(quantity * unit_cost) AS item_cost
    FROM placed_items
    GROUP BY customer_id
),

categories AS (
    -- Reference data has no load time; max() keeps one row of a repeated category.
    SELECT category, max(replenishment_days) AS replenishment_days
    FROM raw.categories
    GROUP BY category
),

subscription_states AS (
    -- History: each subscription's latest state by the as-of instant. A rejected row is a
    -- change that is not read: the subscription keeps its previous state.
    SELECT customer_id, status
    FROM staged_subscriptions
    WHERE rejected_reason IS NULL AND updated_at < $as_of_end_utc AND _loaded_at < $as_of_end_utc
    QUALIFY row_number() OVER (
        PARTITION BY subscription_id ORDER BY updated_at DESC, _loaded_at DESC
    ) = 1
),

subscriptions AS (
    -- The customer's most engaged subscription decides: active > paused > cancelled.
    SELECT
        customer_id,
        min(CASE status WHEN 'active' THEN 1 WHEN 'paused' THEN 2 WHEN 'cancelled' THEN 3 END)
            AS status_rank
    FROM subscription_states
    GROUP BY customer_id
),

web_sessions AS (
    SELECT customer_id, max(started_at) AS last_session_at
    FROM staged_web_sessions
    WHERE customer_id IS NOT NULL
        AND rejected_reason IS NULL
        AND started_at < $as_of_end_utc
        AND _loaded_at < $as_of_end_utc
        AND {customer_scope}
    GROUP BY customer_id
),

support_tickets AS (
    SELECT customer_id, max(opened_at) AS last_ticket_at
    FROM staged_support_tickets
    WHERE rejected_reason IS NULL
        AND opened_at < $as_of_end_utc
        AND _loaded_at < $as_of_end_utc
        AND {customer_scope}
    GROUP BY customer_id
),

loyalty AS (
    SELECT customer_id, points_balance, tier
    FROM staged_loyalty_accounts
    WHERE rejected_reason IS NULL
        AND updated_at < $as_of_end_utc
        AND _loaded_at < $as_of_end_utc
        AND {customer_scope}
    QUALIFY row_number() OVER (
        PARTITION BY customer_id ORDER BY updated_at DESC, _loaded_at DESC
    ) = 1
),

facts AS (
    SELECT
        c.customer_id,
        c.email,
        coalesce(ot.lifetime_orders, 0) AS lifetime_orders,
        CAST(
            round(coalesce(ot.order_revenue, 0) - coalesce(rt.refunded_revenue, 0), 2)
            AS DECIMAL(18, 2)
        ) AS lifetime_revenue,
        ot.first_order_at,
        ot.last_order_at,
        tc.top_category,
        ot.last_order_at + INTERVAL (cat.replenishment_days) DAY AS predicted_next_purchase_at,
        coalesce(s.status_rank, 4) AS subscription_rank,
        rt.last_refund_at,
        -- Margin is undefined without item revenue: no bucket rather than a guessed one.
        -- Compared as revenue - cost >= bound * revenue to stay in exact decimals.
        CASE
            WHEN m.item_revenue > 0 THEN
                CASE
                    WHEN m.item_revenue - m.item_cost >= $margin_high_min * m.item_revenue
                        THEN 'high'
                    WHEN m.item_revenue - m.item_cost >= $margin_medium_min * m.item_revenue
                        THEN 'medium'
                    ELSE 'low'
                END
        END AS gross_margin_bucket,
        greatest(
            ot.last_order_at,
            timezone('UTC', ws.last_session_at),
            timezone('UTC', st.last_ticket_at)
        ) AS last_activity_at,
        lp.points_balance,
        lp.tier AS loyalty_tier
    FROM customers AS c
    LEFT JOIN order_totals AS ot ON ot.customer_id = c.customer_id
    LEFT JOIN refund_totals AS rt ON rt.customer_id = c.customer_id
    LEFT JOIN top_categories AS tc ON tc.customer_id = c.customer_id
    LEFT JOIN categories AS cat ON cat.category = tc.top_category
    LEFT JOIN margins AS m ON m.customer_id = c.customer_id
    LEFT JOIN subscriptions AS s ON s.customer_id = c.customer_id
    LEFT JOIN web_sessions AS ws ON ws.customer_id = c.customer_id
    LEFT JOIN support_tickets AS st ON st.customer_id = c.customer_id
    LEFT JOIN loyalty AS lp ON lp.customer_id = c.customer_id
),

tiered AS (
    SELECT
        facts.*,
        CASE
            WHEN lifetime_revenue >= $vip_gold_min THEN 'gold'
            WHEN lifetime_revenue >= $vip_silver_min THEN 'silver'
            ELSE 'none'
        END AS vip_tier,
        CASE subscription_rank
            WHEN 1 THEN 'active'
            WHEN 2 THEN 'paused'
            WHEN 3 THEN 'cancelled'
            ELSE 'none'
        END AS subscription_status
    FROM facts
),

profiles AS (
    -- What a day's row keeps; the final SELECT derives the rest (and what depends on the day).
    SELECT
        customer_id,
        email,
        lifetime_orders,
        lifetime_revenue,
        first_order_at,
        last_order_at,
        top_category,
        predicted_next_purchase_at,
        vip_tier,
        subscription_status,
        last_refund_at,
        gross_margin_bucket,
        last_activity_at,
        CAST(points_balance AS BIGINT) AS loyalty_points,
        loyalty_tier
    FROM tiered
{carried}
)

-- Booleans are never null: a null would be skipped by the sync and leave a stale true
-- (an old replenishment reminder, a lapsed discount) on the profile.
SELECT
    customer_id,
    CAST($as_of_date AS DATE) AS as_of_date,
    email,
    CAST(lifetime_orders AS BIGINT) AS lifetime_orders,
    lifetime_revenue,
    first_order_at,
    last_order_at,
    top_category,
    predicted_next_purchase_at,
    coalesce(predicted_next_purchase_at < $as_of_end, FALSE) AS needs_replenishment,
    vip_tier,
    vip_tier <> 'none' AS is_vip,
    CAST($vip_version AS INTEGER) AS vip_definition_version,
    subscription_status,
    subscription_status = 'active' AS has_active_subscription,
    last_refund_at,
    gross_margin_bucket,
    coalesce(gross_margin_bucket IN ('high', 'medium'), FALSE) AS discount_eligible,
    last_activity_at,
    lifetime_orders > 0 AND last_activity_at < $reactivation_cutoff AS is_reactivation_eligible,
    loyalty_points,
    loyalty_tier
FROM profiles
-- A customer who asked to be erased is in no day's state, whenever the request came.
WHERE customer_id NOT IN (SELECT customer_id FROM erased_customers)
