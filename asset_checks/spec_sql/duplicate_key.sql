-- Rows of the checked days whose key appears more than once among them; every copy is listed.
SELECT {columns}, count(*) OVER (PARTITION BY {key}) AS copies
FROM {relation}
WHERE {partition} BETWEEN $first_day AND $last_day AND {id} IS NOT NULL
QUALIFY count(*) OVER (PARTITION BY {key}) > 1
