-- Every order any version of which names a touched customer (the temporary table
-- touched_customers, customer_state_touched.sql): all the orders those customers' totals can
-- read. The rest of a statement that begins with the staging CTEs; customer_state.py stores
-- its result in the temporary table touched_orders before the day's INSERT.
named_orders AS (
    SELECT DISTINCT order_id
    FROM staged_orders
    WHERE customer_id IN (SELECT customer_id FROM touched_customers)
)

SELECT order_id FROM named_orders
