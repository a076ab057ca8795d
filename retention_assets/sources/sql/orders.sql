-- Order headers. Most orders fall uniformly in the customer's active span; a small share is
-- steered to within three hours of a change of UTC offset of the shop zone, so every DST
-- night in the window has orders before, inside and after the skipped or repeated hour.
CREATE OR REPLACE TEMP TABLE _gen_order_header AS
WITH hosts AS (
    SELECT
        (row_number() OVER (ORDER BY transition_us) - 1)::INTEGER AS host_no,
        transition_us,
        old_offset_us,
        new_offset_us
    FROM _gen_dst
    WHERE can_host_orders
),
-- Hosts are ordered in time, so the nights a customer can host an order (signed up before,
-- still active after) form a contiguous range of host numbers.
reach AS (
    SELECT
        c.customer_id,
        count(*) FILTER (WHERE h.transition_us - _gen_hours(3) <= c.created_us) AS first_host,
        count(*) FILTER (WHERE h.transition_us + _gen_hours(3) < c.active_until_us) AS end_host
    FROM _gen_customer AS c
    CROSS JOIN hosts AS h
    WHERE c.n_orders > 0
    GROUP BY c.customer_id
),
exploded AS (
    SELECT
        o.customer_id,
        o.order_id,
        o.created_us,
        o.active_until_us,
        o.favourite_category_no,
        o.country,
        CASE
            WHEN r.end_host > r.first_host
                AND _gen_rnd(o.order_id, 'dst') < greatest(0.002, 20 / getvariable('gen_customers'))
                THEN r.first_host
                    + floor(_gen_rnd(o.order_id, 'dst_host') * (r.end_host - r.first_host))
        END::INTEGER AS dst_host_no
    FROM (
        SELECT *, order_id_base + unnest(range(n_orders)) AS order_id
        FROM _gen_customer
        WHERE n_orders > 0
    ) AS o
    LEFT JOIN reach AS r USING (customer_id)
),
steered AS (
    SELECT
        o.*,
        h.transition_us,
        h.old_offset_us,
        h.new_offset_us,
        -- On spring-forward nights half of the steered orders carry a wall-clock time from
        -- the skipped hour, as a till with a stale zone table writes them.
        coalesce(
            h.new_offset_us > h.old_offset_us AND _gen_rnd(o.order_id, 'dst_gap') < 0.5,
            FALSE
        ) AS is_dst_gap
    FROM exploded AS o
    LEFT JOIN hosts AS h ON h.host_no = o.dst_host_no
),
placed AS (
    SELECT
        *,
        CASE
            WHEN is_dst_gap THEN transition_us
                + floor(_gen_rnd(order_id, 'dst_at') * (new_offset_us - old_offset_us))::BIGINT
            WHEN transition_us IS NOT NULL THEN transition_us - _gen_hours(3)
                + floor(_gen_rnd(order_id, 'dst_at') * _gen_hours(6))::BIGINT
            ELSE created_us
                + floor(_gen_rnd(order_id, 'placed_at') * (active_until_us - created_us))::BIGINT
        END AS placed_us
    FROM steered
)
SELECT
    customer_id,
    order_id,
    placed_us,
    -- A skipped-hour time is the instant read with the offset from before the change.
    CASE
        WHEN is_dst_gap THEN _gen_utc(placed_us + old_offset_us)
        ELSE _gen_shop(placed_us)
    END AS placed_at,
    is_dst_gap,
    CASE WHEN _gen_rnd(order_id, 'cancel') < 0.04 THEN 'cancelled' ELSE 'placed' END AS status,
    -- The shop settles in USD; some foreign buyers pay in their own currency.
    CASE
        WHEN country IN ('CA', 'GB', 'DE') AND _gen_rnd(order_id, 'currency') < 0.40
            THEN CASE country WHEN 'CA' THEN 'CAD' WHEN 'GB' THEN 'GBP' ELSE 'EUR' END
        ELSE 'USD'
    END AS currency,
    CASE
        WHEN _gen_rnd(order_id, 'lines') < 0.45 THEN 1
        WHEN _gen_rnd(order_id, 'lines') < 0.75 THEN 2
        WHEN _gen_rnd(order_id, 'lines') < 0.90 THEN 3
        ELSE 4
    END::INTEGER AS n_lines,
    CASE
        WHEN _gen_rnd(order_id, 'discount') < 0.25
            THEN (5 + floor(_gen_rnd(order_id, 'discount_rate') * 16)) / 100
        ELSE 0
    END AS discount_rate,
    favourite_category_no,
    placed_us + _gen_minutes(1 + _gen_rnd(order_id, 'lag') * 180) AS loaded_us
FROM placed;

-- Order lines: 60% from the customer's favourite category (so top_category is meaningful),
-- the rest anywhere.
CREATE OR REPLACE TEMP TABLE _gen_item AS
WITH exploded AS (
    SELECT order_id, favourite_category_no, loaded_us, unnest(range(n_lines)) AS line
    FROM _gen_order_header
),
picked AS (
    SELECT
        order_id,
        (line + 1)::INTEGER AS line_number,
        loaded_us,
        CASE
            WHEN _gen_rnd2(order_id, line, 'favourite') < 0.60 THEN favourite_category_no
            ELSE floor(_gen_rnd2(order_id, line, 'category') * (SELECT count(*) FROM _gen_category))
        END::INTEGER AS category_no,
        (1 + floor(_gen_rnd2(order_id, line, 'sku') * 12))::INTEGER AS sku_no,
        _gen_rnd2(order_id, line, 'quantity') AS u_quantity
    FROM exploded
)
SELECT
    p.order_id,
    p.line_number,
    p.loaded_us,
    p.category_no,
    p.sku_no,
    CASE
        WHEN p.u_quantity < 0.75 THEN 1
        WHEN p.u_quantity < 0.93 THEN 2
        ELSE 3 + floor(_gen_rnd2(p.order_id, p.line_number, 'quantity_n') * 2)
    END::INTEGER AS quantity,
    s.unit_price,
    s.unit_cost
FROM picked AS p
JOIN _gen_sku AS s USING (category_no, sku_no);

-- Orders with their amounts: total = item subtotal - order-level discount.
CREATE OR REPLACE TEMP TABLE _gen_order AS
WITH lines AS (
    SELECT
        order_id,
        -- Line amounts fit DECIMAL(12,2); the narrower type lets the sum use 64-bit integers.
        sum((quantity * unit_price)::DECIMAL(12, 2)) AS subtotal,
        min(category_no) < max(category_no) AS is_multi_category
    FROM _gen_item
    GROUP BY order_id
)
SELECT
    h.* EXCLUDE (n_lines, discount_rate, favourite_category_no),
    l.is_multi_category,
    round(l.subtotal * h.discount_rate, 2)::DECIMAL(12, 2) AS discount_amount,
    (l.subtotal - discount_amount)::DECIMAL(12, 2) AS total_amount
FROM _gen_order_header AS h
JOIN lines AS l USING (order_id);

DROP TABLE _gen_order_header;

INSERT INTO raw.orders BY NAME
SELECT
    order_id,
    customer_id,
    placed_at,
    -- A few orders arrive with the status spelled by another system ('PLACED', 'Cancelled');
    -- the models read it lower-cased (docs/raw-contract.md).
    CASE
        WHEN _gen_rnd(order_id, 'status_spelling') < 0.010 THEN upper(status)
        WHEN _gen_rnd(order_id, 'status_spelling') < 0.015 THEN upper(status[1]) || status[2:]
        ELSE status
    END AS status,
    currency,
    total_amount,
    discount_amount,
    _gen_utc(loaded_us) AS _loaded_at
FROM _gen_order;

-- Lines land with their order.
INSERT INTO raw.order_items BY NAME
SELECT
    i.order_id,
    i.line_number,
    s.sku,
    s.category,
    i.quantity,
    i.unit_price,
    i.unit_cost,
    _gen_utc(i.loaded_us) AS _loaded_at
FROM _gen_item AS i
JOIN _gen_sku AS s USING (category_no, sku_no);
