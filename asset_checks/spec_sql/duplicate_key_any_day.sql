-- Rows whose key is a key of the checked days and appears more than once in the whole relation:
-- a copy on another day (an event whose time moved on a rebuild) gets the first copy's id, and
-- Customer.io keeps one of them. Every copy is listed, whatever its day.
SELECT {columns}, duplicated.copies
FROM {relation}
JOIN (
    SELECT {id}, count(*) AS copies
    FROM {relation}
    WHERE {id} IN (SELECT {id} FROM {relation} WHERE {partition} BETWEEN $first_day AND $last_day)
    GROUP BY {id}
    HAVING count(*) > 1
) AS duplicated USING ({id})
