"""SQL the checks run in the warehouse, in DuckDB's dialect with ``$name`` parameters.

Every check is a handful of counting queries over one day (or one backfill range) of a model,
so it costs the same on a thousand customers as on a million: nothing but counts and a bounded
sample of failing rows leaves the warehouse. Identifiers cannot be parameters, so table names
(from ``retention_assets.tables``) and column names (from the contracts of ``schemas``) are
formatted in; every value — days, limits, allowed names — is a ``$name`` parameter.
"""

from __future__ import annotations

from typing import Final

# The factory counts each rule's failing rows first, and only a rule that finds some reads the
# first ones in ``order_by`` order. Checks mostly pass, and a bare count lets the warehouse
# skip reading and converting the sampled columns of every row: on 9.5M events one pass doing
# both took 2.4 s, the count alone 0.6 s.
COUNT_FAILING: Final = """
SELECT count(*) FROM ({rule}) AS failing
"""

SAMPLE_FAILING: Final = """
SELECT *
FROM ({rule}) AS failing
ORDER BY {order_by}
LIMIT $sample_rows
"""

LATEST_PARTITION: Final = "SELECT max({partition_column}) FROM {table}"

# Snowflake stores unquoted names upper-cased, DuckDB as written: compare and return lower case.
TABLE_COLUMNS: Final = """
SELECT lower(column_name) AS column_name, data_type
FROM information_schema.columns
WHERE lower(table_schema) = lower($table_schema) AND lower(table_name) = lower($table_name)
"""

SCOPED_ROWS: Final = """
SELECT {columns}
FROM {table}
WHERE {partition_column} BETWEEN $first_day AND $last_day AND ({condition})
"""

SCOPED_SAMPLE: Final = """
SELECT {columns}
FROM {table}
WHERE {partition_column} BETWEEN $first_day AND $last_day
LIMIT $sample_rows
"""


# Emails held by more than one customer of a day, compared lower-cased and without whitespace
# ($whitespace): one row per shared address (normalised; the check's metadata masks it like
# every email, retention_assets.privacy), the customers named.
SHARED_EMAILS: Final = """
WITH keyed AS (
    SELECT {key}, {partition_column}, lower(translate(email, $whitespace, '')) AS email_key
    FROM {table}
    WHERE {partition_column} BETWEEN $first_day AND $last_day
      AND {key} IS NOT NULL AND email IS NOT NULL
)
SELECT
    {partition_column},
    email_key AS email,
    count(*) AS customers,
    string_agg({key}, ', ' ORDER BY {key}) AS customer_ids
FROM keyed
WHERE email_key <> ''
GROUP BY {partition_column}, email_key
HAVING count(*) > 1
"""


# Flapping: a value that returns after changing (A -> B -> A) across the recent days. Within a
# customer's history of one column, each run of equal values starts once; without a return
# every run brings a new value, so more runs than distinct values (null counted as a value)
# means a return. Customers whose row changed from one day to the next fewer times than a
# flapping column needs are dropped first, with one hash per row, so only the few that changed
# that often are unpivoted and windowed.
FLAPPING: Final = """
WITH steps AS (
    SELECT {key},
           hash({columns}) IS DISTINCT FROM lag(hash({columns})) OVER (
               PARTITION BY {key} ORDER BY {partition_column}
           ) AS moved
    FROM {table}
    WHERE {partition_column} BETWEEN $window_start AND $last_day AND {key} IS NOT NULL
),
changed AS (
    -- A value returns to an earlier one $min_returns times only in $min_returns + 1 changes
    -- from one day to the next or more, and the row's hash changes at least as often: only
    -- such customers are unpivoted (the first row of each counts as a move).
    SELECT {key}
    FROM steps
    GROUP BY {key}
    HAVING count(*) FILTER (WHERE moved) - 1 >= $min_returns + 1
),
candidates AS (
    SELECT {key}, {partition_column}, {text_columns}
    FROM {table}
    WHERE {partition_column} BETWEEN $window_start AND $last_day
      AND {key} IN (SELECT {key} FROM changed)
),
runs AS (
    SELECT {key}, column_name, {partition_column}, value,
           row_number() OVER history = 1
               OR value IS DISTINCT FROM lag(value) OVER history AS starts
    FROM candidates UNPIVOT INCLUDE NULLS (value FOR column_name IN ({columns}))
    WINDOW history AS (PARTITION BY {key}, column_name ORDER BY {partition_column})
)
SELECT {key}, column_name, count(*) FILTER (WHERE starts) - 1 AS changes,
       string_agg(coalesce(value, 'null'), ' -> ' ORDER BY {partition_column})
           FILTER (WHERE starts) AS history
FROM runs
GROUP BY {key}, column_name
HAVING count(*) FILTER (WHERE starts)
       - count(DISTINCT value) - max(CASE WHEN value IS NULL THEN 1 ELSE 0 END) >= $min_returns
"""

# Text form of a column for the unpivot, which needs one type for all values.
AS_TEXT: Final = "CAST({column} AS VARCHAR) AS {column}"

UNION_ALL: Final = "\nUNION ALL\n"
