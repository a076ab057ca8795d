"""Translates the project's SQL, written once in DuckDB's dialect, into Snowflake's.

Every statement the project runs (models, checks, plans, ledgers) is written in DuckDB's dialect
with ``$name`` parameters. The Snowflake session hands each one to :func:`translate`, which
parses it with sqlglot, rewrites what sqlglot's own DuckDB-to-Snowflake transpilation gets wrong
or cannot express, and renders Snowflake SQL whose parameters are bound client-side by the
Snowflake connector (``pyformat``: ``%(name)s``). The rewrites live here and nowhere else, as
transformations of the parsed statement:

* ``ts + INTERVAL (n) DAY`` (an interval of a non-literal amount): ``DATEADD(DAY, n, ts)``;
  sqlglot renders it as an invalid ``INTERVAL DAY``.
* ``timezone(zone, ts)``: Snowflake has no ``TIMEZONE`` function. The project applies it only
  to naive timestamps (store-local or UTC source times) to get the instant, so it becomes
  ``CAST(CONVERT_TIMEZONE(zone, 'UTC', ts) AS TIMESTAMP_TZ)`` (the session zone is UTC).
* ``strftime(ts, format)``: ``TO_CHAR`` with the format's letters (``T``, ``Z``) concatenated
  as string literals, since Snowflake would read bare letters as format elements.
* ``EXTRACT(EPOCH FROM ts)``: Snowflake's ``EPOCH`` part is whole seconds where DuckDB's has a
  fraction, so it becomes ``DATE_PART(EPOCH_MICROSECOND, ts) / 1000000``.
* ``octet_length(encode(text))``: ``OCTET_LENGTH(TO_BINARY(text, 'UTF-8'))``.
* ``UNPIVOT [INCLUDE NULLS] (value FOR name IN (a, b))``: a cross join with the list of names
  and a ``CASE`` picking each one's value. Snowflake's UNPIVOT names the rows after the stored
  (upper-cased) column names, DuckDB's after the names as written; the rewrite keeps DuckDB's.
* Quoted identifiers are case-insensitive in DuckDB and case-sensitive in Snowflake, where
  unquoted names are stored upper-cased: quoted identifiers are upper-cased, so ``"email"``
  still finds the column created as ``email``.
* The ``raw`` schema maps to the configured ``database.schema`` of the raw tables.
* Parameters: the connector inlines ``datetime``, ``date`` and ``Decimal`` values as quoted
  text, so their placeholders are cast (``TIMESTAMP_TZ``, ``TIMESTAMP_NTZ``, ``DATE``,
  ``DECIMAL``) by the value's type. Only values both warehouses bind alike are accepted.

Everything else (``QUALIFY``, ``FILTER``, ``string_agg``, ``bool_or``, ``md5``, ``to_json``,
``json_object``, ``least``/``greatest``, ``UPDATE ... FROM``, temporary tables) is sqlglot's own
transpilation. A translation is cached per statement text and parameter types.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Final

import sqlglot
from sqlglot import exp

from resources.params import bind

READ_DIALECT: Final = "duckdb"
SNOWFLAKE: Final = "snowflake"
RAW_SCHEMA: Final = "raw"
DEFAULT_RAW_LOCATION: Final = "RAW"

# How a parameter is marked in rendered SQL until it becomes ``%(name)s``; no SQL has it.
_PARAM_MARKER: Final = "__retention_param_{}__"
_PARAM_MARKER_PATTERN: Final = re.compile(r"__retention_param_(\w+?)__")
# The names the unpivot rewrite gives its own relations; no project table or column has them.
_UNPIVOT_SOURCE: Final = "unpivot_source"
_UNPIVOT_NAMES: Final = "unpivot_names"
_UNPIVOT_NAME: Final = "unpivot_name"

# A strftime format: a directive, a run of letters (literal text), or anything else.
_FORMAT_TOKEN: Final = re.compile(r"%[A-Za-z]|[A-Za-z]+|[^%A-Za-z]+")
_LOCATION: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$")


# Values the connector inlines as literals of the right type; others are inlined as text.
_LITERAL_TYPES: Final = (str, int, float, bool, type(None))


def param_type(name: str, value: object) -> str | None:
    """The type a parameter's literal is cast to, or None when the literal is already typed.

    The connector inlines dates, datetimes and decimals as quoted text; a type the connector
    cannot bind the way DuckDB does fails here rather than in the warehouse.
    """
    if isinstance(value, dt.datetime):
        return "TIMESTAMPNTZ" if value.tzinfo is None else "TIMESTAMPTZ"
    if isinstance(value, dt.date):
        return "DATE"
    if isinstance(value, decimal.Decimal):
        exponent = value.as_tuple().exponent
        scale = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        return f"DECIMAL(38, {scale})"
    if isinstance(value, _LITERAL_TYPES):
        return None
    raise TypeError(
        f"parameter ${name} is a {type(value).__name__}; SQL parameters must be text, numbers,"
        " booleans, dates, datetimes or None on every warehouse"
    )


def valid_raw_location(location: str) -> str:
    """``location`` if it is ``SCHEMA`` or ``DATABASE.SCHEMA`` of plain identifiers."""
    if not _LOCATION.match(location):
        raise ValueError(f"not a SCHEMA or DATABASE.SCHEMA name: {location!r}")
    return location


def _pyformat_sql(tree: exp.Expr) -> str:
    """Snowflake SQL for client-side binding: ``%(name)s`` placeholders, every other ``%`` doubled.

    Rendered by sqlglot's own generator and rewritten as text: a subclass of the generator
    cannot be used, since sqlglot may be installed compiled (``sqlglot[c]``, which dagster-dbt
    pulls in), and compiled classes cannot be subclassed. Placeholders are rendered as markers
    that contain no ``%``, every ``%`` (in literals, the modulo operator, identifiers) is
    doubled, then each marker becomes its pyformat placeholder.
    """
    marked = tree.transform(
        lambda node: (
            exp.var(_PARAM_MARKER.format(node.name)) if isinstance(node, exp.Placeholder) else node
        )
    )
    text = marked.sql(dialect=SNOWFLAKE, comments=False).replace("%", "%%")
    return _PARAM_MARKER_PATTERN.sub(r"%(\1)s", text)


@lru_cache(maxsize=512)
def _parsed(statement: str) -> exp.Expr:
    return sqlglot.parse_one(statement, read=READ_DIALECT)


def creates_schema(statement: str) -> bool:
    """Whether the statement is a ``CREATE SCHEMA``."""
    tree = _parsed(statement)
    return isinstance(tree, exp.Create) and str(tree.args.get("kind", "")).upper() == "SCHEMA"


def translate(
    statement: str,
    params: Mapping[str, Any] | None = None,
    raw_location: str = DEFAULT_RAW_LOCATION,
) -> tuple[str, dict[str, Any] | None]:
    """One DuckDB-dialect statement as Snowflake SQL, and the parameters it binds.

    The parameters are ``None`` when the statement has none: the connector then leaves the
    text alone (no ``%`` escaping is needed nor done).
    """
    bound = bind(statement, params) or None
    types = tuple(sorted((name, param_type(name, value)) for name, value in (bound or {}).items()))
    return _translated(statement, types, raw_location), bound


@lru_cache(maxsize=512)
def _translated(
    statement: str, types: tuple[tuple[str, str | None], ...], raw_location: str
) -> str:
    tree = _parsed(statement).copy()
    # Order matters: the unpivot rewrite reads the names as written, before identifiers are
    # upper-cased, and casts are added to placeholders last.
    for rewrite in (
        _unpivot_as_cross_join,
        _interval_arithmetic,
        _timezone_conversion,
        _strftime_as_to_char,
        _epoch_with_fraction,
        _encode_as_binary,
    ):
        tree = tree.transform(rewrite)
    tree = tree.transform(_upper_quoted_identifiers)
    tree = tree.transform(lambda node: _raw_location(node, raw_location))
    casts = {name: type_sql for name, type_sql in types if type_sql}
    tree = tree.transform(lambda node: _typed_placeholder(node, casts))
    if types:
        return _pyformat_sql(tree)
    return tree.sql(dialect=SNOWFLAKE, comments=False)


def _unpivot_as_cross_join(node: exp.Expr) -> exp.Expr:
    if not isinstance(node, exp.Table | exp.Subquery):
        return node
    pivots = node.args.get("pivots") or []
    if not any(pivot.args.get("unpivot") for pivot in pivots):
        return node
    if len(pivots) != 1 or len(pivots[0].expressions) != 1 or len(pivots[0].args["fields"]) != 1:
        raise NotImplementedError("only UNPIVOT (value FOR name IN (...)) is translated")
    pivot = pivots[0]
    value_column = pivot.expressions[0]
    (field,) = pivot.args["fields"]
    name_column = field.this
    columns = [c.this if isinstance(c, exp.Column) else c for c in field.expressions]
    columns = [exp.to_identifier(column.name, quoted=column.quoted) for column in columns]
    alias = pivot.alias or node.alias_or_name

    source = node.copy()
    source.set("pivots", None)
    source.set("alias", exp.TableAlias(this=exp.to_identifier(_UNPIVOT_SOURCE)))
    names = exp.Values(
        expressions=[exp.Tuple(expressions=[exp.Literal.string(c.name)]) for c in columns],
        alias=exp.TableAlias(
            this=exp.to_identifier(_UNPIVOT_NAMES), columns=[exp.to_identifier(_UNPIVOT_NAME)]
        ),
    )
    value = exp.Case(
        this=exp.column(_UNPIVOT_NAME, _UNPIVOT_NAMES),
        ifs=[
            exp.If(
                this=exp.Literal.string(column.name),
                true=exp.column(column.copy(), _UNPIVOT_SOURCE),
            )
            for column in columns
        ],
    )
    kept = exp.Column(
        this=exp.Star(except_=[exp.column(column.copy()) for column in columns]),
        table=exp.to_identifier(_UNPIVOT_SOURCE),
    )
    select = (
        exp.select(
            kept,
            exp.alias_(exp.column(_UNPIVOT_NAME, _UNPIVOT_NAMES), name_column.copy()),
            exp.alias_(value.copy(), value_column.copy()),
        )
        .from_(source)
        .join(names, join_type="CROSS")
    )
    if not pivot.args.get("include_nulls"):
        select = select.where(exp.Not(this=exp.Is(this=value, expression=exp.Null())))
    return exp.Subquery(this=select, alias=exp.TableAlias(this=exp.to_identifier(alias)))


def _interval_arithmetic(node: exp.Expr) -> exp.Expr:
    if not isinstance(node, exp.Add | exp.Sub) or not isinstance(node.expression, exp.Interval):
        return node
    interval = node.expression
    amount, unit = interval.this, interval.unit
    # A literal amount, or one with its unit inside, is transpiled right by sqlglot.
    if isinstance(amount, exp.Literal) or unit is None:
        return node
    amount = amount.unnest().copy()
    if isinstance(node, exp.Sub):
        amount = exp.Neg(this=exp.Paren(this=amount))
    return exp.DateAdd(this=node.this.copy(), expression=amount, unit=unit.copy())


def _timezone_conversion(node: exp.Expr) -> exp.Expr:
    if not (isinstance(node, exp.Anonymous) and node.name.lower() == "timezone"):
        return node
    zone, timestamp = node.expressions
    converted = exp.ConvertTimezone(
        source_tz=zone.copy(), target_tz=exp.Literal.string("UTC"), timestamp=timestamp.copy()
    )
    return exp.cast(converted, exp.DataType.Type.TIMESTAMPTZ)


def _strftime_as_to_char(node: exp.Expr) -> exp.Expr:
    if not isinstance(node, exp.TimeToStr):
        return node
    fmt = node.args["format"]
    if not (isinstance(fmt, exp.Literal) and fmt.is_string):
        raise NotImplementedError("strftime is translated with a constant format only")
    # Runs of directives and separators are formatted; runs of letters are literal text.
    segments: list[tuple[bool, str]] = []
    for token in _FORMAT_TOKEN.findall(fmt.this):
        is_format = not token.isalpha()
        if segments and segments[-1][0] == is_format:
            segments[-1] = (is_format, segments[-1][1] + token)
        else:
            segments.append((is_format, token))
    wall_clock = exp.cast(node.this.copy(), exp.DataType.Type.TIMESTAMPNTZ)
    parts: list[exp.Expr] = [
        exp.TimeToStr(this=wall_clock.copy(), format=exp.Literal.string(text))
        if is_format and "%" in text
        else exp.Literal.string(text)
        for is_format, text in segments
    ]
    result = parts[0]
    for part in parts[1:]:
        result = exp.DPipe(this=result, expression=part)
    return exp.Paren(this=result) if len(parts) > 1 else result


def _epoch_with_fraction(node: exp.Expr) -> exp.Expr:
    if not (isinstance(node, exp.Extract) and node.this.name.upper() == "EPOCH"):
        return node
    microseconds = exp.Extract(this=exp.var("EPOCH_MICROSECOND"), expression=node.expression.copy())
    return exp.Paren(this=exp.Div(this=microseconds, expression=exp.Literal.number(1_000_000)))


def _encode_as_binary(node: exp.Expr) -> exp.Expr:
    if not isinstance(node, exp.Encode):
        return node
    return exp.Anonymous(
        this="TO_BINARY", expressions=[node.this.copy(), exp.Literal.string("UTF-8")]
    )


def _upper_quoted_identifiers(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Identifier) and node.quoted:
        return exp.to_identifier(node.name.upper(), quoted=True)
    return node


def _raw_location(node: exp.Expr, location: str) -> exp.Expr:
    if not isinstance(node, exp.Table) or node.args.get("catalog"):
        return node
    schema = node.args.get("db")
    if schema is None or schema.name.lower() != RAW_SCHEMA:
        return node
    *database, name = location.split(".")
    node = node.copy()
    node.set("db", exp.to_identifier(name))
    if database:
        node.set("catalog", exp.to_identifier(database[0]))
    return node


def _typed_placeholder(node: exp.Expr, casts: Mapping[str, str]) -> exp.Expr:
    if isinstance(node, exp.Placeholder) and node.name in casts:
        return exp.cast(node.copy(), exp.DataType.build(casts[node.name], dialect=SNOWFLAKE))
    return node
