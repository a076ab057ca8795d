-- The profiles whose email this run set (acknowledged and folded into the attribute ledger),
-- with the hash of the email sent, for the delivery audit (delivery_audit.py). Customers who
-- share their email with another customer of the partition come first: Customer.io most likely
-- dropped their update, and an audit capped at $limit profiles must not miss them. Emails are
-- compared without case and whitespace ($whitespace lists the characters), as Customer.io
-- matches them and as the shared-email check of the model does. A run that set no email (a
-- re-run with nothing changed) reads no row of the source: the EXISTS is evaluated once.
WITH changed AS (
    SELECT customer_id, value_hash
    FROM {sync}.attribute_ledger
    WHERE run_id = $run_id AND attribute = $email_attribute AND value_hash IS NOT NULL
),
email_keys AS (
    SELECT customer_id, lower(translate(email, $whitespace, '')) AS email_key
    FROM {source}
    WHERE as_of_date = $as_of AND email IS NOT NULL AND EXISTS (SELECT 1 FROM changed)
),
shared AS (
    SELECT customer_id
    FROM email_keys
    QUALIFY count(*) OVER (PARTITION BY email_key) > 1
)
SELECT
    c.customer_id,
    c.value_hash,
    c.customer_id IN (SELECT customer_id FROM shared) AS shares_email,
    count(*) OVER () AS email_changes
FROM changed AS c
ORDER BY shares_email DESC, c.customer_id
LIMIT $limit
