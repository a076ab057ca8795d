-- What stops a membership plan before it is computed: rows without a person (or, for
-- relationships, an object) id, and pairs listed more than once (which of their attribute
-- rows would win is undefined). $needs_target is true for relationships.
SELECT
    (SELECT count(*) FROM {source}
        WHERE as_of_date = $as_of
          AND (customer_id IS NULL OR trim(customer_id) = '' OR target_id IS NULL
               OR ($needs_target AND trim(target_id) = ''))) AS rows_without_id,
    (SELECT count(*) FROM (
        SELECT customer_id, target_id FROM {source}
        WHERE as_of_date = $as_of
        GROUP BY customer_id, target_id
        HAVING count(*) > 1
    ) AS d) AS pairs_listed_twice
