-- One branch per text column (the rule joins them with UNION ALL): rows whose value is longer
-- than $max_bytes in UTF-8, the unit of Customer.io's limits. The value itself is not shown.
SELECT {keys}, ${column_param} AS column_name, octet_length(encode(CAST({column} AS VARCHAR))) AS bytes
FROM {relation}
WHERE {partition} BETWEEN $first_day AND $last_day
  AND octet_length(encode(CAST({column} AS VARCHAR))) > $max_bytes
