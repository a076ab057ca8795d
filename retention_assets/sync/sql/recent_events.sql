-- The latest events Customer.io acknowledged for the customers staged in selected_keys, under
-- the name each was sent with (events the backfill policy suppressed were never sent).
SELECT customer_id, sent_name, occurred_at, acknowledged_at
FROM (
    SELECT
        l.customer_id,
        l.sent_name,
        l.occurred_at,
        l.acknowledged_at,
        row_number() OVER (
            PARTITION BY l.customer_id ORDER BY l.occurred_at DESC, l.event_key
        ) AS recency
    FROM {sync}.event_ledger AS l
    JOIN selected_keys AS k ON k.row_key = l.customer_id
    WHERE l.sent_name IS NOT NULL
) AS ranked
WHERE recency <= $recent_events
ORDER BY customer_id, occurred_at DESC
