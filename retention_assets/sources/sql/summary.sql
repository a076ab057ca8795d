-- Counts of every messy case, from the generator's own staging flags (what it meant to
-- produce), plus the model-facing outcomes the data was shaped for: one row, one column each.
CREATE OR REPLACE TEMP TABLE _gen_customer_outcome AS
WITH placed AS (
    SELECT customer_id, sum(total_amount) AS revenue, max(placed_us) AS last_order_us
    FROM _gen_order
    WHERE status = 'placed'
    GROUP BY customer_id
),
refunded AS (
    SELECT customer_id, sum(amount) AS refunded
    FROM _gen_refund
    GROUP BY customer_id
),
margins AS (
    SELECT
        o.customer_id,
        sum(i.quantity * i.unit_price) AS item_revenue,
        sum(i.quantity * i.unit_cost) AS item_cost
    FROM _gen_item AS i
    JOIN _gen_order AS o USING (order_id)
    WHERE o.status = 'placed'
    GROUP BY o.customer_id
),
activity AS (
    SELECT customer_id, last_order_us AS at_us FROM placed
    UNION ALL
    SELECT customer_id, max(started_us) FROM _gen_session WHERE customer_id IS NOT NULL GROUP BY 1
    UNION ALL
    SELECT customer_id, max(opened_us) FROM _gen_ticket GROUP BY 1
),
last_activity AS (
    SELECT customer_id, max(at_us) AS last_activity_us
    FROM activity
    GROUP BY customer_id
)
SELECT
    c.customer_id,
    coalesce(p.revenue, 0) - coalesce(r.refunded, 0) AS lifetime_revenue,
    (m.item_revenue - m.item_cost) / m.item_revenue AS gross_margin,
    p.customer_id IS NOT NULL
        AND a.last_activity_us < getvariable('gen_end_us') - _gen_days(60)
        AS is_reactivation_eligible
FROM _gen_customer AS c
LEFT JOIN placed AS p USING (customer_id)
LEFT JOIN refunded AS r USING (customer_id)
LEFT JOIN margins AS m USING (customer_id)
LEFT JOIN last_activity AS a USING (customer_id);

-- One row, one column per count: the column order is the report order.
SELECT
    -- raw.customers
    (SELECT count(*) FROM _gen_customer_row WHERE customer_id IS NULL) AS null_customer_id_rows,
    (SELECT count(*) FROM _gen_customer_row WHERE version > 1) AS cdc_extra_rows,
    (SELECT count(*) FROM _gen_customer_row WHERE is_null_email) AS null_email_updates,
    (SELECT count(*) FROM _gen_customer_row WHERE is_null_email AND is_last_version)
        AS latest_email_null_customers,
    (SELECT count(*) FROM _gen_customer WHERE email_change_version IS NOT NULL) AS email_changes,
    (SELECT count(*) FROM _gen_customer_row WHERE is_stray_email)
        AS emails_with_stray_case_or_whitespace,
    -- raw.orders, raw.order_items
    (
        SELECT count(*)
        FROM _gen_order
        WHERE placed_at::DATE IN (SELECT _gen_utc(transition_us + new_offset_us)::DATE FROM _gen_dst)
    ) AS dst_day_orders,
    (SELECT count(*) FROM _gen_order WHERE is_dst_gap) AS dst_gap_orders,
    (
        SELECT count(*)
        FROM _gen_order AS o
        JOIN _gen_dst AS d
            ON d.new_offset_us < d.old_offset_us
            AND epoch_us(o.placed_at) >= d.transition_us + d.new_offset_us
            AND epoch_us(o.placed_at) < d.transition_us + d.old_offset_us
    ) AS dst_fold_orders,
    (SELECT count(*) FROM _gen_order WHERE status = 'cancelled') AS cancelled_orders,
    (SELECT count(*) FROM _gen_order WHERE _gen_rnd(order_id, 'status_spelling') < 0.015)
        AS orders_with_status_spelling,
    (SELECT count(*) FROM _gen_order WHERE discount_amount > 0) AS discounted_orders,
    (SELECT count(*) FROM _gen_order WHERE is_multi_category) AS multi_category_orders,
    (SELECT count(*) FROM _gen_order WHERE currency <> 'USD') AS non_usd_orders,
    -- raw.refunds
    (SELECT count(*) FROM _gen_refund WHERE is_late) AS late_refunds,
    -- raw.subscriptions
    (SELECT count(*) FROM _gen_subscription_row WHERE step = 0) AS subscription_starts,
    (
        SELECT count(*) FROM _gen_subscription_row
        WHERE status = 'paused' AND previous_status = 'active'
    ) AS subscription_pauses,
    (
        SELECT count(*) FROM _gen_subscription_row
        WHERE status = 'active' AND previous_status = 'paused'
    ) AS subscription_resumes,
    (SELECT count(*) FROM _gen_subscription_row WHERE status = 'cancelled')
        AS subscription_cancellations,
    (SELECT count(*) FROM _gen_subscription_row WHERE status = previous_status)
        AS subscription_noop_updates,
    (SELECT count(*) FROM _gen_subscription_row WHERE is_late) AS late_subscription_changes,
    -- raw.support_tickets, raw.web_sessions, raw.loyalty_accounts
    (SELECT count(*) FROM _gen_ticket WHERE status = 'open') AS open_tickets,
    (SELECT count(*) FROM _gen_session WHERE customer_id IS NULL) AS anonymous_sessions,
    (SELECT count(*) FROM _gen_customer WHERE n_loyalty > 1) AS loyalty_multi_update_accounts,
    -- raw.privacy_requests
    (
        SELECT count(DISTINCT customer_id) FROM _gen_privacy_request
        WHERE lower(request_type) = 'erasure'
    ) AS erasure_requested_customers,
    (
        SELECT count(*) - count(DISTINCT customer_id) FROM _gen_privacy_request
    ) AS repeated_privacy_requests,
    (SELECT count(*) FROM _gen_privacy_request WHERE request_type <> lower(request_type))
        AS privacy_requests_in_capitals,
    -- Outcomes the model should find
    (SELECT count(*) FROM _gen_customer WHERE n_orders = 0) AS customers_without_orders,
    (SELECT count(*) FROM _gen_customer_outcome WHERE is_reactivation_eligible)
        AS reactivation_eligible_customers,
    (SELECT count(*) FROM _gen_customer_outcome WHERE lifetime_revenue >= 1000)
        AS vip_gold_customers,
    (
        SELECT count(*) FROM _gen_customer_outcome
        WHERE lifetime_revenue >= 300 AND lifetime_revenue < 1000
    ) AS vip_silver_customers,
    (SELECT count(*) FROM _gen_customer_outcome WHERE lifetime_revenue < 300)
        AS vip_none_customers,
    (SELECT count(*) FROM _gen_customer_outcome WHERE gross_margin >= 0.5)
        AS margin_high_customers,
    (
        SELECT count(*) FROM _gen_customer_outcome
        WHERE gross_margin >= 0.3 AND gross_margin < 0.5
    ) AS margin_medium_customers,
    (SELECT count(*) FROM _gen_customer_outcome WHERE gross_margin < 0.3)
        AS margin_low_customers,
    -- Re-load copies: rows beyond the first per key
    (SELECT count(*) - count(DISTINCT (customer_id, updated_at)) FROM raw.customers)
        AS duplicate_reload_rows_customers,
    (SELECT count(*) - count(DISTINCT order_id) FROM raw.orders) AS duplicate_reload_rows_orders,
    (SELECT count(*) - count(DISTINCT (order_id, line_number)) FROM raw.order_items)
        AS duplicate_reload_rows_order_items,
    (SELECT count(*) - count(DISTINCT refund_id) FROM raw.refunds)
        AS duplicate_reload_rows_refunds,
    (SELECT count(*) - count(DISTINCT (subscription_id, updated_at)) FROM raw.subscriptions)
        AS duplicate_reload_rows_subscriptions,
    (SELECT count(*) - count(DISTINCT ticket_id) FROM raw.support_tickets)
        AS duplicate_reload_rows_support_tickets,
    (SELECT count(*) - count(DISTINCT session_id) FROM raw.web_sessions)
        AS duplicate_reload_rows_web_sessions,
    (SELECT count(*) - count(DISTINCT (customer_id, updated_at)) FROM raw.loyalty_accounts)
        AS duplicate_reload_rows_loyalty_accounts,
    (SELECT count(*) - count(DISTINCT request_id) FROM raw.privacy_requests)
        AS duplicate_reload_rows_privacy_requests;
