-- The columns of one relation with their types; the scale tells integers from decimals on
-- Snowflake, whose data_type says NUMBER for both. Names compare lower case: Snowflake stores
-- unquoted names upper case, DuckDB as written.
SELECT
    lower(column_name) AS column_name,
    data_type,
    numeric_precision,
    numeric_scale
FROM information_schema.columns
WHERE
    ($table_catalog IS NULL OR lower(table_catalog) = lower($table_catalog))
    AND lower(table_schema) = lower($table_schema)
    AND lower(table_name) = lower($table_name)
ORDER BY ordinal_position
