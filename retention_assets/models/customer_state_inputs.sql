-- What an incremental build of retention.customer_state checks before it trusts the previous
-- day's rows (customer_state.py), two statements:
--
-- 1. Rows of each raw table the model reads that had landed before $loaded_before (naive UTC).
--    The previous day's build recorded these counts for its own end; if they differ now, rows
--    were deleted, or landed late with an earlier _loaded_at, and only a full build is right.
SELECT 'customers' AS source_table, count(*) AS landed_rows
FROM raw.customers WHERE _loaded_at < $loaded_before
UNION ALL
SELECT 'orders', count(*) FROM raw.orders WHERE _loaded_at < $loaded_before
UNION ALL
SELECT 'order_items', count(*) FROM raw.order_items WHERE _loaded_at < $loaded_before
UNION ALL
SELECT 'refunds', count(*) FROM raw.refunds WHERE _loaded_at < $loaded_before
UNION ALL
SELECT 'subscriptions', count(*) FROM raw.subscriptions WHERE _loaded_at < $loaded_before
UNION ALL
SELECT 'support_tickets', count(*) FROM raw.support_tickets WHERE _loaded_at < $loaded_before
UNION ALL
SELECT 'web_sessions', count(*) FROM raw.web_sessions WHERE _loaded_at < $loaded_before
UNION ALL
SELECT 'loyalty_accounts', count(*) FROM raw.loyalty_accounts WHERE _loaded_at < $loaded_before
UNION ALL
SELECT 'privacy_requests', count(*) FROM raw.privacy_requests WHERE _loaded_at < $loaded_before;

-- 2. The reference data, which has no load time: any change to it is a change of the rules.
SELECT CAST(category AS VARCHAR), CAST(replenishment_days AS VARCHAR)
FROM raw.categories
ORDER BY 1, 2
