-- Size of one membership plan next to what this pipeline added before.
SELECT
    (SELECT count(*) FROM {source} WHERE as_of_date = $as_of) AS pairs_in_relation,
    (SELECT count(*) FROM {sync}.membership_plan WHERE as_of_date = $as_of) AS planned,
    (SELECT count(*) FROM {sync}.membership_plan WHERE as_of_date = $as_of AND action = 'add')
        AS adds,
    (SELECT count(*) FROM {sync}.membership_plan WHERE as_of_date = $as_of AND action = 'change')
        AS changes,
    (SELECT count(*) FROM {sync}.membership_plan WHERE as_of_date = $as_of AND action = 'remove')
        AS removals,
    (SELECT count(*) FROM {sync}.membership_attribute_plan AS a
        JOIN {sync}.membership_plan AS p
            ON p.as_of_date = a.as_of_date AND p.person_id = a.person_id
            AND p.target_id = a.target_id
        WHERE a.as_of_date = $as_of AND a.action = 'set' AND p.action = 'change')
        AS changed_attributes,
    (SELECT count(*) FROM {sync}.membership_attribute_plan
        WHERE as_of_date = $as_of AND action = 'clear') AS cleared_attributes,
    (SELECT count(*) FROM {sync}.membership_ledger WHERE present) AS synced_pairs,
    (SELECT count(*) FROM {sync}.membership_attribute_ledger WHERE value_hash IS NOT NULL)
        AS synced_attributes
