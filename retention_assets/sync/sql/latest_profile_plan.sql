-- The as-of day of the most recent profile plan of the sync, if any.
SELECT max(as_of_date) FROM {sync}.customer_state_plan_profiles
