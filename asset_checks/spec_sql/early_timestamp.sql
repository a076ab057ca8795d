-- One branch per timestamp column (the rule joins them with UNION ALL): rows whose value is
-- not after $earliest, a default or sentinel rather than a time anything happened.
SELECT {keys}, ${column_param} AS column_name, CAST({column} AS TIMESTAMPTZ) AS value
FROM {relation}
WHERE {partition} BETWEEN $first_day AND $last_day
  AND CAST({column} AS TIMESTAMPTZ) <= CAST($earliest AS TIMESTAMPTZ)
