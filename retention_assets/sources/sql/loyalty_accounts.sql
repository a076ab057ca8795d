-- Loyalty accounts: one row per balance update, strictly later each time. Balances mostly
-- grow (with redemptions as noise) and grow faster for frequent buyers.
CREATE OR REPLACE TEMP TABLE _gen_loyalty_row AS
WITH accounts AS (
    SELECT
        customer_id,
        n_loyalty,
        (0.5 + _gen_rnd(customer_id, 'points_rate')) * (1 + n_orders / 4) AS points_rate,
        created_us
            + floor(_gen_rnd(customer_id, 'enrolled_at') * 0.5 * (getvariable('gen_hi_us') - created_us))::BIGINT
            AS enrolled_us
    FROM _gen_customer
    WHERE n_loyalty > 0
),
versions AS (
    SELECT *, unnest(range(1, n_loyalty + 1))::INTEGER AS version
    FROM accounts
),
stamped AS (
    SELECT
        customer_id,
        version,
        n_loyalty,
        CASE
            WHEN version = 1 THEN enrolled_us
            ELSE enrolled_us + floor(
                (version - 1 + 0.9 * _gen_rnd2(customer_id, version, 'updated_at')) / n_loyalty
                * (getvariable('gen_hi_us') - enrolled_us)
            )::BIGINT
        END AS updated_us,
        floor(points_rate * 150 * version
            + _gen_rnd2(customer_id, version, 'points') * 100)::INTEGER AS points_balance
    FROM versions
)
SELECT
    *,
    CASE
        WHEN points_balance < 500 THEN 'bronze'
        WHEN points_balance < 1500 THEN 'silver'
        WHEN points_balance < 3000 THEN 'gold'
        ELSE 'platinum'
    END AS tier,
    updated_us + _gen_minutes(5 + _gen_rnd2(customer_id, version, 'lag') * 240) AS loaded_us
FROM stamped;

INSERT INTO raw.loyalty_accounts BY NAME
SELECT
    customer_id,
    points_balance,
    tier,
    _gen_utc(updated_us) AS updated_at,
    _gen_utc(loaded_us) AS _loaded_at
FROM _gen_loyalty_row;
