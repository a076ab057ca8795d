-- The identity plan of the $as_of day, rebuilt from the lookups: per customer this sync never
-- wrote, what Customer.io holds for its email. `conflict`: a profile with another id has it;
-- `merge`: an id profile and an email-only profile both exist (and were not merged yet);
-- `adopt`: only an email-only profile exists, which the first identify by id takes over;
-- `known`: the id profile exists; `new`: nothing. {email} is the quoted email column.
DELETE FROM {sync}.identity_plan WHERE as_of_date = $as_of;

INSERT INTO {sync}.identity_plan
SELECT
    $as_of,
    s.customer_id,
    k.email,
    CASE
        WHEN k.other_id IS NOT NULL THEN 'conflict'
        WHEN k.email_only_cio_id IS NOT NULL AND k.id_known AND m.customer_id IS NULL
            THEN 'merge'
        WHEN k.email_only_cio_id IS NOT NULL AND NOT k.id_known THEN 'adopt'
        WHEN k.id_known THEN 'known'
        ELSE 'new'
    END,
    CASE WHEN k.other_id IS NULL AND k.id_known THEN k.email_only_cio_id END,
    k.other_id
FROM {source} AS s
JOIN {sync}.identity_lookups AS k
    ON k.customer_id = s.customer_id AND k.email = lower(trim(CAST(s.{email} AS VARCHAR)))
LEFT JOIN {sync}.customer_ledger AS l
    ON l.customer_id = s.customer_id
LEFT JOIN {sync}.identity_merges AS m
    ON m.customer_id = s.customer_id AND m.secondary_cio_id = k.email_only_cio_id
WHERE s.as_of_date = $as_of
  AND l.customer_id IS NULL
  AND NOT EXISTS (SELECT 1 FROM {suppressions} AS x WHERE x.customer_id = s.customer_id);
