-- One row per user action, named as the marketing team's journeys know it.
select
    cast(id as varchar) as action_uuid,
    cast(user_id as varchar) as user_uuid,
    case kind
        when 'checkout_completed' then 'Checkout Completed'
        when 'plan_upgraded' then 'Plan Upgraded'
        else kind
    end as action,
    -- Naive local time in Europe/Berlin; the sync spec declares the zone.
    cast(happened_local as timestamp) as happened_at_local,
    cast(total_cents / 100.0 as decimal(12, 2)) as order_total_usd,
    case when kind = 'plan_upgraded' then plan end as new_plan_tier
from {{ source('raw_app', 'actions') }}
