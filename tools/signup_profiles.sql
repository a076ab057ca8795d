-- The demo's legacy profiles: the email of every 40th customer who has a usable one, as the
-- signup form wrote it to Customer.io before this pipeline ran. The address is the one the
-- customer state will hold: the latest usable one, normalised as staging.sql does.
SELECT email
FROM (
    SELECT
        customer_id,
        lower(translate(email, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13), ''))
            AS email,
        updated_at,
        _loaded_at
    FROM raw.customers
    WHERE customer_id % 40 = 0
) AS normalised
WHERE email LIKE '_%@_%._%' AND email NOT LIKE '%@%@%'
QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY updated_at DESC, _loaded_at DESC) = 1
ORDER BY customer_id
