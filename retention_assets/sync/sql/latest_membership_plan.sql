-- The as-of day of the most recent membership plan of the sync, if any.
SELECT max(as_of_date) FROM {sync}.membership_plan
