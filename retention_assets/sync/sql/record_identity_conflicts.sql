-- The conflicts of the $as_of identity plan, staged in temp table rejected_keys for
-- record_rejections.sql: the email of the row belongs to a profile with another id, so
-- Customer.io would drop the identify; the profile is held back and reported instead.
DELETE FROM rejected_keys;

INSERT INTO rejected_keys
SELECT customer_id, $reason, 'email',
       'the email of this row belongs to the Customer.io profile with id ' || other_id
       || ': the profile is held back until one of the two changes its email'
FROM {sync}.identity_plan
WHERE as_of_date = $as_of AND outcome = 'conflict';
