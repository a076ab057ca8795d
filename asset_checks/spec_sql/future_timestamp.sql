-- One branch per timestamp column (the rule joins them with UNION ALL): rows whose value lies
-- after now, or after the end of the row's day (a row describes its day, so a later value is
-- future data leaked into it), by more than the tolerated skew. The skew is a number of
-- seconds: Snowflake has no interval values to bind.
SELECT {keys}, column_name, value, not_after
FROM (
    SELECT
        {keys},
        ${column_param} AS column_name,
        CAST({column} AS TIMESTAMPTZ) AS value,
        least(
            CAST($not_after AS TIMESTAMPTZ),
            CAST({partition} + INTERVAL 1 DAY AS TIMESTAMPTZ) + INTERVAL ($skew_seconds) SECOND
        ) AS not_after
    FROM {relation}
    WHERE {partition} BETWEEN $first_day AND $last_day
) AS bounded
WHERE value > not_after
