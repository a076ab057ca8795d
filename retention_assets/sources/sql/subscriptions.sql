-- Subscription history: one row per change, following a life-cycle pattern, with strictly
-- increasing updated_at. 5% of changes after the start land 1-4 days late.
CREATE OR REPLACE TEMP TABLE _gen_subscription_row AS
WITH subscriptions AS (
    SELECT
        customer_id,
        subscription_id,
        created_us
            + floor(_gen_rnd(subscription_id, 'started_at') * 0.6 * (active_until_us - created_us))::BIGINT
            AS started_us
    FROM (
        SELECT *, subscription_id_base + unnest(range(n_subscriptions)) AS subscription_id
        FROM _gen_customer
        WHERE n_subscriptions > 0
    )
),
steps AS (
    SELECT
        s.*,
        p.statuses,
        unnest(p.statuses) AS status,
        unnest(range(len(p.statuses)))::INTEGER AS step
    FROM subscriptions AS s
    JOIN _gen_subscription_pattern AS p
        ON p.percentile = floor(_gen_rnd(s.subscription_id, 'pattern') * 100)
),
stamped AS (
    SELECT
        *,
        -- Change k happens within the k-th slice of the rest of the window: strictly later.
        CASE
            WHEN step = 0 THEN started_us
            ELSE started_us + floor(
                (step + 0.9 * _gen_rnd2(subscription_id, step, 'updated_at')) / len(statuses)
                * (getvariable('gen_hi_us') - started_us)
            )::BIGINT
        END AS updated_us,
        -- Lists are 1-based: element `step` is the status before this change.
        CASE WHEN step > 0 THEN statuses[step] END AS previous_status,
        _gen_days(1 + 3 * _gen_rnd2(subscription_id, step, 'late_lag')) AS late_lag_us
    FROM steps
),
flagged AS (
    SELECT
        *,
        step > 0 AND _gen_rnd2(subscription_id, step, 'late') < 0.05
            AND updated_us + late_lag_us < getvariable('gen_end_us') AS is_late
    FROM stamped
)
SELECT
    customer_id,
    subscription_id,
    status,
    previous_status,
    step,
    started_us,
    updated_us,
    is_late,
    CASE
        WHEN is_late THEN updated_us + late_lag_us
        ELSE updated_us + _gen_minutes(10 + _gen_rnd2(subscription_id, step, 'lag') * 230)
    END AS loaded_us
FROM flagged;

INSERT INTO raw.subscriptions BY NAME
SELECT
    subscription_id,
    customer_id,
    status,
    _gen_utc(started_us) AS started_at,
    _gen_utc(updated_us) AS updated_at,
    _gen_utc(loaded_us) AS _loaded_at
FROM _gen_subscription_row;
