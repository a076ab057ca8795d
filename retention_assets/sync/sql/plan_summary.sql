-- Size of one customer-state plan next to what Customer.io already holds.
SELECT
    (SELECT count(*) FROM {source} WHERE as_of_date = $as_of) AS customers,
    (SELECT count(*) FROM {sync}.customer_state_plan_profiles WHERE as_of_date = $as_of)
        AS planned_profiles,
    (SELECT count(*) FROM {sync}.customer_state_plan_profiles
        WHERE as_of_date = $as_of AND is_new_profile) AS new_profiles,
    (SELECT count(*) FROM {sync}.customer_state_plan AS p
        JOIN {sync}.customer_state_plan_profiles AS pp
            ON pp.customer_id = p.customer_id AND pp.as_of_date = p.as_of_date
        WHERE p.as_of_date = $as_of AND p.action = 'set' AND NOT pp.is_new_profile)
        AS changed_attributes,
    (SELECT count(*) FROM {sync}.customer_state_plan
        WHERE as_of_date = $as_of AND action = 'clear') AS cleared_attributes,
    (SELECT count(*) FROM {sync}.removals_plan WHERE as_of_date = $as_of) AS planned_removals,
    (SELECT count(*) FROM {source} AS s
        WHERE s.as_of_date = $as_of
          AND EXISTS (SELECT 1 FROM {suppressions} AS x WHERE x.customer_id = s.customer_id))
        AS suppressed_rows,
    (SELECT count(*) FROM {sync}.customer_ledger) AS synced_profiles,
    (SELECT count(*) FROM {sync}.attribute_ledger WHERE value_hash IS NOT NULL)
        AS synced_attributes
