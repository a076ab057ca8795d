-- The adds this run logged as acknowledged and not yet folded: a segment send reads its
-- members back to find the ids Customer.io ignored among them.
SELECT a.row_key, p.person_id
FROM {sync}.membership_acks AS a
JOIN {sync}.membership_plan AS p
    ON p.row_key = a.row_key AND p.as_of_date = a.as_of_date
WHERE a.run_id = $run_id AND p.action = 'add'
