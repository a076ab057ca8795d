-- One row per user: the app's users as marketing sees them.
select
    cast(id as varchar) as user_uuid,
    lower(trim(email)) as email_address,
    cast(lifetime_value_cents / 100.0 as decimal(12, 2)) as ltv_usd,
    -- Naive local time in Europe/Berlin; the sync spec declares the zone.
    cast(created_local as timestamp) as signed_up_local,
    plan as plan_tier,
    marketing_opt_in,
    cast(seats as integer) as seats
from {{ source('raw_app', 'users') }}
