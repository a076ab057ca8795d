    -- An incremental build: every customer no raw row of the day touched keeps the previous
    -- day's values; the final SELECT recomputes what depends on the day itself.
    UNION ALL
    SELECT
        previous.customer_id,
        previous.email,
        previous.lifetime_orders,
        previous.lifetime_revenue,
        previous.first_order_at,
        previous.last_order_at,
        previous.top_category,
        previous.predicted_next_purchase_at,
        previous.vip_tier,
        previous.subscription_status,
        previous.last_refund_at,
        previous.gross_margin_bucket,
        previous.last_activity_at,
        previous.loyalty_points,
        previous.loyalty_tier
    FROM {customer_state} AS previous
    WHERE previous.as_of_date = $previous_date
        AND NOT EXISTS (
            SELECT 1 FROM touched_customers AS t WHERE t.customer_id = previous.customer_id
        )
