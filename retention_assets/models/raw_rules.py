"""The raw value rules: how each model reads dirty raw values, and how many rows each rule hit.

Loaders write what their systems give them: ids padded with spaces, emails with tabs, statuses
in capitals, an order dated 9999, a NaN in a DOUBLE amount, a shop timestamp already typed
TIMESTAMPTZ. Every such value gets one explicit verdict, written once in ``staging.sql``:
normalised (the model reads the canonical value), rejected (the row is excluded, with a reason)
or, for an email, rejected as an attribute (the customer stays, the address becomes null).
Both models, the per-build counts in their metadata and the raw-table checks
(``asset_checks.raw_checks``) read the same staged rows, so a count in the metadata, a check's
failing rows and what the model excluded always agree. ``docs/raw-contract.md`` is the
operator's version of this module.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import dagster as dg
import pyarrow as pa

from resources.warehouse import WarehouseSession, split_statements
from retention_assets.models.build import load_sql
from retention_assets.tables import RAW_SCHEMA

NORMALISED: Final = "normalised"
REJECTED: Final = "rejected"
ATTRIBUTE_REJECTED: Final = "attribute rejected"

# Business times before this are no real event of the shop (1970: an epoch 0 default).
EARLIEST_PLAUSIBLE: Final = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
# A business time may run ahead of _loaded_at by clock skew or a wrong zone, never by more.
FUTURE_SKEW: Final = dt.timedelta(days=1)

# Shop timestamps whose instant depends on the raw column's type: (table, column, template
# field of staging.sql). UTC tables compare their naive values with naive UTC bounds, which
# reads a TIMESTAMPTZ column as the same instant in a UTC session, so they need no variant.
SHOP_TIMESTAMPS: Final = (
    ("customers", "updated_at", "customers_updated_at"),
    ("orders", "placed_at", "orders_placed_at"),
    ("refunds", "refunded_at", "refunds_refunded_at"),
)
# The only two SQL texts a template field can become; {column} is a name from SHOP_TIMESTAMPS.
_NAIVE_INSTANT: Final = "timezone($shop_zone, {column})"
_ZONED_INSTANT: Final = "CAST({column} AS TIMESTAMPTZ)"
_TEXT_ID: Final = "trim(CAST({column} AS VARCHAR), ' ' || chr(9) || chr(10) || chr(13))"
_INTEGER_ID: Final = "CAST({column} AS VARCHAR)"

_STAGING: Final = load_sql("staging.sql")
# The tables each model reads, for its counts.
STATE_TABLES: Final = (
    "customers",
    "orders",
    "refunds",
    "subscriptions",
    "support_tickets",
    "web_sessions",
    "loyalty_accounts",
    "privacy_requests",
)
EVENT_TABLES: Final = ("orders", "refunds", "subscriptions", "support_tickets", "privacy_requests")
# raw_verdicts.sql: one counting statement per raw table the state model reads, in this order.
_VERDICTS: Final = dict(
    zip(STATE_TABLES, split_statements(load_sql("raw_verdicts.sql")), strict=True)
)


@dataclass(frozen=True)
class RawRule:
    """One rule of the raw contract: its verdict, the tables it applies to, what it means."""

    name: str
    verdict: str
    tables: tuple[str, ...]
    description: str
    # Column of the verdict counts holding this rule's hits (normalisations and attributes).
    count_column: str | None = None


_ID_TABLES: Final = (
    "customers",
    "orders",
    "subscriptions",
    "support_tickets",
    "web_sessions",
    "loyalty_accounts",
    "privacy_requests",
)
# Person ids whose text depends on the raw column's type: (table, column, template field).
CUSTOMER_IDS: Final = tuple((table, "customer_id", f"{table}_customer_id") for table in _ID_TABLES)
_TIMED_TABLES: Final = ("orders", "refunds", "subscriptions", "support_tickets")

RAW_RULES: Final[tuple[RawRule, ...]] = (
    RawRule(
        "customer_id_trimmed",
        NORMALISED,
        _ID_TABLES,
        "customer_id had surrounding spaces, tabs or line breaks; read without them",
        "ids_trimmed",
    ),
    RawRule(
        "email_normalised",
        NORMALISED,
        ("customers",),
        "email had whitespace or capitals; read without whitespace, lower-cased",
        "emails_normalised",
    ),
    RawRule(
        "status_normalised",
        NORMALISED,
        ("orders", "subscriptions", "privacy_requests"),
        "status (a privacy request's request_type) had capitals or surrounding spaces"
        " ('Placed', ' ACTIVE', 'ERASURE'); read lower-cased",
        "statuses_normalised",
    ),
    RawRule(
        "customer_id_missing",
        REJECTED,
        (
            "customers",
            "orders",
            "subscriptions",
            "support_tickets",
            "loyalty_accounts",
            "privacy_requests",
        ),
        "customer_id is null or empty after trimming: the row belongs to no one",
    ),
    RawRule(
        "customer_id_control_characters",
        REJECTED,
        _ID_TABLES,
        "customer_id contains a control character: no person id may carry one",
    ),
    RawRule(
        "status_unknown",
        REJECTED,
        ("orders", "subscriptions", "privacy_requests"),
        "status (request_type) is not one of the contract's values, even lower-cased and"
        " trimmed: a misspelt erasure request must be seen, not ignored",
    ),
    RawRule(
        "timestamp_missing",
        REJECTED,
        _TIMED_TABLES,
        "the business timestamp is null: the row cannot be placed in time",
    ),
    RawRule(
        "timestamp_implausible",
        REJECTED,
        _TIMED_TABLES,
        f"the business timestamp is before {EARLIEST_PLAUSIBLE.date()} or more than"
        f" {FUTURE_SKEW} after the row landed (_loaded_at), e.g. 1970 or 9999",
    ),
    RawRule(
        "amount_missing",
        REJECTED,
        ("orders", "refunds"),
        "the amount is null: revenue cannot be computed",
    ),
    RawRule(
        "amount_not_a_number",
        REJECTED,
        ("orders", "refunds"),
        "the amount is NaN or infinite (a DOUBLE column): no revenue can be computed from it",
    ),
    RawRule(
        "amount_negative",
        REJECTED,
        ("orders", "refunds"),
        "the amount is negative: a refund is its own row, never a negative order or refund",
    ),
    RawRule(
        "email_invalid",
        ATTRIBUTE_REJECTED,
        ("customers",),
        "email has no single '@' with a dotted domain after normalisation; the customer is"
        " synced without it (an earlier valid address is kept)",
        "emails_invalid",
    ),
)


def _is_integer(kind: pa.DataType) -> bool:
    # Snowflake's integers are NUMBER(38, 0), which arrive as decimals of scale 0.
    return pa.types.is_integer(kind) or (pa.types.is_decimal(kind) and kind.scale == 0)


def zoned_columns(session: WarehouseSession) -> frozenset[str]:
    """The template fields whose raw column's type selects their second variant: shop
    timestamps that are zone-aware (TIMESTAMPTZ), person ids that are integers.

    The type is read from a one-row result, which both warehouses type like the column
    (information_schema would need the raw tables' own database on Snowflake). An empty
    table gives no row to read, and then either variant reads nothing.
    """
    typed = set()
    for table, column, field in (*SHOP_TIMESTAMPS, *CUSTOMER_IDS):
        result = session.fetch_arrow(f'SELECT "{column}" FROM {RAW_SCHEMA}."{table}" LIMIT 1')
        kind = result.schema.field(0).type
        if (pa.types.is_timestamp(kind) and kind.tz is not None) or _is_integer(kind):
            typed.add(field)
    return frozenset(typed)


def staging(zoned: frozenset[str]) -> str:
    """The staging CTEs, each shop timestamp and person id read the way its column type
    requires."""
    fields = {
        field: (_ZONED_INSTANT if field in zoned else _NAIVE_INSTANT).format(column=column)
        for _, column, field in SHOP_TIMESTAMPS
    } | {
        field: (_INTEGER_ID if field in zoned else _TEXT_ID).format(column=column)
        for _, column, field in CUSTOMER_IDS
    }
    return _STAGING.format(**fields)


def with_staging(body: str, zoned: frozenset[str]) -> str:
    """``body`` (CTEs and a final SELECT, without WITH) preceded by the staging CTEs."""
    return f"WITH\n{staging(zoned)},\n{body}"


def rule_params(shop_zone: str) -> dict[str, Any]:
    """The parameters of staging.sql."""
    return {
        "shop_zone": shop_zone,
        "earliest_plausible": EARLIEST_PLAUSIBLE,
        "earliest_plausible_utc": EARLIEST_PLAUSIBLE.replace(tzinfo=None),
        "future_skew_seconds": int(FUTURE_SKEW.total_seconds()),
    }


@dataclass(frozen=True)
class Verdicts:
    """Rows each rule hit in each table, and the shop timestamp columns read as instants."""

    counts: Mapping[tuple[str, str], int]
    zoned: frozenset[str]
    tables: tuple[str, ...]

    def total(self, rule: str) -> int:
        return sum(rows for (_, name), rows in self.counts.items() if name == rule)

    def plus(self, later: Verdicts) -> Verdicts:
        """These counts and those of rows landed later, over the same tables."""
        counts = dict(self.counts)
        for key, rows in later.counts.items():
            counts[key] = counts.get(key, 0) + rows
        return Verdicts(counts, self.zoned, self.tables)

    def to_json(self) -> str:
        """The counts as JSON, for a build record (``from_json`` reads them back)."""
        rows = sorted([table, rule, hits] for (table, rule), hits in self.counts.items())
        return json.dumps(rows)

    @classmethod
    def from_json(cls, text: str, zoned: frozenset[str], tables: Sequence[str]) -> Verdicts:
        counts = {(str(table), str(rule)): int(rows) for table, rule, rows in json.loads(text)}
        return cls(counts, zoned, tuple(tables))

    def rules(self) -> list[RawRule]:
        return [rule for rule in RAW_RULES if set(rule.tables) & set(self.tables)]

    def metadata(self) -> dict[str, Any]:
        """One number per rule (``raw_rejected: <rule>``, ``raw_normalised: <rule>``) and the
        per-table breakdown, zeros included so every build shows the same keys."""
        metadata: dict[str, Any] = {
            f"raw_{rule.verdict.replace(' ', '_')}: {rule.name}": dg.MetadataValue.int(
                self.total(rule.name)
            )
            for rule in self.rules()
        }
        metadata["raw_verdicts"] = dg.MetadataValue.table(
            records=[
                dg.TableRecord(
                    {
                        "table": f"{RAW_SCHEMA}.{table}",
                        "rule": rule.name,
                        "verdict": rule.verdict,
                        "rows": self.counts.get((table, rule.name), 0),
                    }
                )
                for rule in self.rules()
                for table in rule.tables
                if table in self.tables
            ],
            schema=dg.TableSchema(
                columns=[
                    dg.TableColumn("table", "string"),
                    dg.TableColumn("rule", "string"),
                    dg.TableColumn("verdict", "string"),
                    dg.TableColumn("rows", "int"),
                ]
            ),
        )
        metadata["raw_zoned_timestamp_columns"] = dg.MetadataValue.text(self.zoned_label())
        return metadata

    def summary(self) -> str:
        """One log line: every rule that hit rows, with its count."""
        hits = [
            f"{rule.name} ({rule.verdict}) {self.total(rule.name)}"
            for rule in self.rules()
            if self.total(rule.name)
        ]
        return (
            "raw value rules: "
            + (", ".join(hits) if hits else "no row normalised or rejected")
            + f"; zone-aware shop timestamp columns: {self.zoned_label()}"
        )

    def zoned_label(self) -> str:
        return (
            ", ".join(
                f"{RAW_SCHEMA}.{table}.{column}"
                for table, column, field in SHOP_TIMESTAMPS
                if field in self.zoned and table in self.tables
            )
            or "none"
        )


def count_verdicts(
    session: WarehouseSession,
    zoned: frozenset[str],
    shop_zone: str,
    tables: Sequence[str],
    loaded_before: dt.datetime | None,
    loaded_from: dt.datetime | None = None,
) -> Verdicts:
    """Rows each rule hit among the raw rows landed in ``[loaded_from, loaded_before)`` (naive
    UTC; None leaves that side open).

    A row rejected by a rule counts for that rule only; normalisations count on the rows the
    model uses (a trimmed id on a rejected row is not a normalisation anyone sees).
    """
    params = {
        **rule_params(shop_zone),
        "loaded_before": loaded_before,
        "loaded_from": loaded_from,
    }
    rows = [
        row
        for table in tables
        for row in session.fetch_all(with_staging(_VERDICTS[table], zoned), params)
    ]
    counts: dict[tuple[str, str], int] = {}
    flag_rules = [(rule.name, column) for rule in RAW_RULES if (column := rule.count_column)]
    columns = ("ids_trimmed", "emails_normalised", "statuses_normalised", "emails_invalid")
    for table, reason, total, *flags in rows:
        if reason is not None:
            counts[(table, reason)] = counts.get((table, reason), 0) + int(total)
            continue
        by_column = dict(zip(columns, flags, strict=True))
        for name, column in flag_rules:
            hits = int(by_column[column] or 0)
            if hits:
                counts[(table, name)] = counts.get((table, name), 0) + hits
    return Verdicts(counts, zoned, tuple(tables))
