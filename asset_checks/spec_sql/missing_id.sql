-- Rows of the checked days whose id is null, empty or nothing but whitespace ($padding).
SELECT {columns}
FROM {relation}
WHERE {partition} BETWEEN $first_day AND $last_day
  AND ({id} IS NULL OR translate({id}, $padding, '') = '')
