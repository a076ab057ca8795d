-- The lookups one chunk of the identity plan made (staged in temp table fresh_identity_lookups)
-- replace the customers' older ones.
DELETE FROM {sync}.identity_lookups
WHERE customer_id IN (SELECT customer_id FROM fresh_identity_lookups);

INSERT INTO {sync}.identity_lookups
SELECT customer_id, email, id_known, email_only_cio_id, other_id, looked_up_at
FROM fresh_identity_lookups;
