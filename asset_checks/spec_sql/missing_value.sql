-- Rows of the checked days where a column that must be set is null.
SELECT {columns}
FROM {relation}
WHERE {partition} BETWEEN $first_day AND $last_day AND {column} IS NULL
