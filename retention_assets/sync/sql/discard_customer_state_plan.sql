-- Empty one day's customer-state plan: a refused plan leaves nothing a later send could read.
DELETE FROM {sync}.customer_state_plan WHERE as_of_date = $as_of;
DELETE FROM {sync}.customer_state_plan_profiles WHERE as_of_date = $as_of;
DELETE FROM {sync}.removals_plan WHERE as_of_date = $as_of;
