-- Shared helpers for the generator steps. Variables (gen_*) are set by generator.py with
-- prepared parameters before this script runs.

-- Hash-based uniform draw in [0, 1): unlike random(), the value depends only on the seed, the
-- row's key and the purpose, so it is identical whatever the thread count or scan order.
-- hash() of several values only combines their hashes, which leaves draws of the same key
-- for different purposes strongly correlated; hashing the result again mixes them apart.
-- 53 bits keep the division exact (a 64-bit hash can round up to 1.0 as a double).
CREATE OR REPLACE TEMP MACRO _gen_rnd(k, purpose) AS
    (hash(hash(getvariable('gen_seed'), k, purpose)) >> 11) / 9007199254740992.0;
CREATE OR REPLACE TEMP MACRO _gen_rnd2(k1, k2, purpose) AS
    (hash(hash(getvariable('gen_seed'), k1, k2, purpose)) >> 11) / 9007199254740992.0;

CREATE OR REPLACE TEMP MACRO _gen_pick(options, u) AS options[1 + floor(u * len(options))::INTEGER];

-- Instants are carried as BIGINT epoch microseconds (UTC) until the final insert, where they
-- become naive timestamps with whole seconds, as the source systems export them.
CREATE OR REPLACE TEMP MACRO _gen_minutes(n) AS (n * 60000000)::BIGINT;
CREATE OR REPLACE TEMP MACRO _gen_hours(n) AS (n * 3600000000)::BIGINT;
CREATE OR REPLACE TEMP MACRO _gen_days(n) AS (n * 86400000000)::BIGINT;
CREATE OR REPLACE TEMP MACRO _gen_utc(us) AS make_timestamp(us::BIGINT // 1000000 * 1000000);
-- Naive wall-clock time in the shop's zone, as the shop platform writes it.
CREATE OR REPLACE TEMP MACRO _gen_shop(us) AS
    timezone(getvariable('gen_shop_tz'), timezone('UTC', _gen_utc(us)));

-- Category economics. replenishment_days goes to raw.categories; price range and cost ratio
-- only shape order lines, spread so that customers land in every gross-margin bucket
-- (electronics and kitchen pull a basket towards 'low', skincare and tea towards 'high').
CREATE OR REPLACE TEMP TABLE _gen_category AS
SELECT (row_number() OVER (ORDER BY category) - 1)::INTEGER AS category_no, *
FROM (
    VALUES
        ('coffee', 30, 12, 24, 0.42),
        ('tea', 45, 8, 20, 0.38),
        ('skincare', 45, 18, 60, 0.28),
        ('haircare', 60, 12, 35, 0.45),
        ('supplements', 30, 20, 45, 0.55),
        ('pet_food', 28, 25, 70, 0.66),
        ('shaving', 60, 9, 30, 0.35),
        ('candles', 90, 15, 40, 0.50),
        ('apparel', 180, 25, 90, 0.60),
        ('kitchen', 120, 20, 80, 0.74),
        ('electronics', 365, 40, 150, 0.85)
) AS c(category, replenishment_days, price_low, price_high, cost_ratio);

-- The SKU catalogue: twelve SKUs per category. Price and cost belong to the SKU, so the same
-- SKU costs the same on every order line.
CREATE OR REPLACE TEMP TABLE _gen_sku AS
SELECT
    c.category_no,
    s.sku_no::INTEGER AS sku_no,
    c.category,
    c.category || '-' || lpad(s.sku_no::VARCHAR, 3, '0') AS sku,
    (floor(c.price_low + _gen_rnd2(c.category_no, s.sku_no, 'price')
        * (c.price_high - c.price_low)) + 0.99)::DECIMAL(10, 2) AS unit_price,
    round(unit_price * least(0.95,
        c.cost_ratio + (_gen_rnd2(c.category_no, s.sku_no, 'cost') - 0.5) * 0.16), 2
    )::DECIMAL(10, 2) AS unit_cost
FROM _gen_category AS c
CROSS JOIN range(1, 13) AS s(sku_no);

-- Subscription life cycles (status after each change) with their share of subscriptions in
-- percent, expanded to one row per percentile so a draw picks its pattern by an equi-join.
-- Repeated statuses are updates that change no status (address, cadence): not transitions.
CREATE OR REPLACE TEMP TABLE _gen_subscription_pattern AS
WITH patterns AS (
    SELECT
        statuses,
        coalesce(sum(share) OVER (ORDER BY pattern_no ROWS BETWEEN UNBOUNDED PRECEDING
            AND 1 PRECEDING), 0)::INTEGER AS first_percentile,
        share
    FROM (
        VALUES
            (1, 30, ['active']),
            (2, 5, ['active', 'active']),
            (3, 15, ['active', 'cancelled']),
            (4, 12, ['active', 'paused']),
            (5, 13, ['active', 'paused', 'active']),
            (6, 10, ['active', 'paused', 'active', 'cancelled']),
            (7, 7, ['active', 'paused', 'cancelled']),
            (8, 5, ['active', 'paused', 'active', 'paused', 'active']),
            (9, 3, ['active', 'active', 'paused', 'active', 'cancelled'])
    ) AS p(pattern_no, share, statuses)
)
SELECT unnest(range(first_percentile, first_percentile + share))::INTEGER AS percentile, statuses
FROM patterns;

-- Every change of UTC offset of the shop zone inside the window, found on a 15-minute grid
-- (a few zones shift on the half hour). Orders are steered around these instants.
CREATE OR REPLACE TEMP TABLE _gen_dst AS
WITH grid AS (
    SELECT at_us, epoch_us(_gen_shop(at_us)) - at_us AS offset_us
    FROM range(getvariable('gen_start_us'), getvariable('gen_end_us'), _gen_minutes(15)) AS g(at_us)
),
changes AS (
    SELECT at_us, lag(offset_us) OVER (ORDER BY at_us) AS old_offset_us, offset_us AS new_offset_us
    FROM grid
)
SELECT
    (row_number() OVER (ORDER BY at_us) - 1)::INTEGER AS transition_no,
    at_us AS transition_us,
    old_offset_us,
    new_offset_us,
    -- Orders are moved to within 3 hours of a transition only if that stays in the window.
    at_us BETWEEN getvariable('gen_lo_us') + _gen_hours(3)
        AND getvariable('gen_hi_us') - _gen_hours(3) AS can_host_orders
FROM changes
WHERE old_offset_us <> new_offset_us;
