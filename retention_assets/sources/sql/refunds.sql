-- Refunds on 8% of placed orders, 1-30 days after the order. 15% land late: 2-7 days after
-- the refund, instead of within hours; both instants stay inside the window.
CREATE OR REPLACE TEMP TABLE _gen_refund AS
WITH chosen AS (
    SELECT
        order_id,
        customer_id,
        total_amount,
        placed_us + floor(
            (0.05 + 0.95 * _gen_rnd(order_id, 'refund_at'))
            * least(_gen_days(30), getvariable('gen_hi_us') - placed_us)
        )::BIGINT AS refunded_us,
        _gen_days(2 + 5 * _gen_rnd(order_id, 'late_lag')) AS late_lag_us
    FROM _gen_order
    WHERE status = 'placed' AND _gen_rnd(order_id, 'refund') < 0.08
),
flagged AS (
    SELECT
        *,
        _gen_rnd(order_id, 'late') < 0.15
            AND refunded_us + late_lag_us < getvariable('gen_end_us') AS is_late
    FROM chosen
)
SELECT
    -- Room for more refunds per order without renumbering.
    order_id * 10 + 1 AS refund_id,
    order_id,
    customer_id,
    refunded_us,
    CASE
        WHEN _gen_rnd(order_id, 'full_refund') < 0.40 THEN total_amount
        ELSE greatest(0.01, round(total_amount * (0.2 + 0.6 * _gen_rnd(order_id, 'partial')), 2))
    END::DECIMAL(12, 2) AS amount,
    _gen_pick(
        ['damaged', 'not_as_described', 'changed_mind', 'late_delivery', 'duplicate_charge'],
        _gen_rnd(order_id, 'reason')
    ) AS reason,
    is_late,
    CASE
        WHEN is_late THEN refunded_us + late_lag_us
        ELSE refunded_us + _gen_minutes(5 + _gen_rnd(order_id, 'refund_lag') * 355)
    END AS loaded_us
FROM flagged;

INSERT INTO raw.refunds BY NAME
SELECT
    refund_id,
    order_id,
    _gen_shop(refunded_us) AS refunded_at,
    amount,
    reason,
    _gen_utc(loaded_us) AS _loaded_at
FROM _gen_refund;
