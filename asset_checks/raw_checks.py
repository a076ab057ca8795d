"""WARN checks on the ``raw.*`` source tables: the raw values the models reject, with samples.

The models cannot fix an order dated 9999, a NaN amount or an id with a control character;
they exclude the row and count it (``retention_assets.models.raw_rules``). The fix belongs to
the loader or the source system, and these checks are where its owner sees it: one check per
raw table, one rule per rejection the table can suffer, each naming the count and showing a
sample of the offending rows as the loader wrote them (emails masked, control characters made
visible). They read the same staged rows the models read, so a check's count and the model
build's ``raw_rejected: <rule>`` metadata agree.

WARN, not blocking: the rows are already kept out of Customer.io by the models, and a loader
defect must not stop every other customer's sync.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import dagster as dg

from asset_checks.factory import (
    Findings,
    Scope,
    SqlRule,
    WarehouseCheck,
    build_asset_check,
    identifier,
)
from resources.warehouse import WarehouseSession
from retention_assets.models.raw_rules import (
    ATTRIBUTE_REJECTED,
    RAW_RULES,
    REJECTED,
    RawRule,
    rule_params,
    with_staging,
    zoned_columns,
)
from retention_assets.settings import load_settings
from retention_assets.sources.assets import raw_asset_key
from retention_assets.tables import RAW_SCHEMA

if TYPE_CHECKING:
    import pandas as pd

RAW_VALUES_CHECK: Final = "raw_values"

# Per raw table, the staged columns a sample shows: the row's key, then what the loader wrote.
SAMPLE_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = {
    "customers": ("raw_customer_id", "raw_email", "raw_updated_at", "_loaded_at"),
    "orders": (
        "order_id",
        "raw_customer_id",
        "raw_status",
        "raw_total_amount",
        "raw_placed_at",
        "_loaded_at",
    ),
    "refunds": ("refund_id", "order_id", "raw_amount", "raw_refunded_at", "_loaded_at"),
    "subscriptions": (
        "subscription_id",
        "raw_customer_id",
        "raw_status",
        "updated_at",
        "_loaded_at",
    ),
    "support_tickets": ("ticket_id", "raw_customer_id", "opened_at", "_loaded_at"),
    "web_sessions": ("session_id", "raw_customer_id", "started_at", "_loaded_at"),
    "loyalty_accounts": ("raw_customer_id", "updated_at", "_loaded_at"),
    "privacy_requests": (
        "request_id",
        "raw_customer_id",
        "raw_request_type",
        "requested_at",
        "_loaded_at",
    ),
}
EMAIL_COLUMN: Final = "raw_email"
# The staged flag that marks an email rejected as an attribute (the row itself is kept).
_ATTRIBUTE_FLAGS: Final = {"email_invalid": "email_invalid"}
# The raw contract expects raw.customers rows with a null id (guest checkouts): the models
# ignore and count them, and a check failing on every healthy load would mean nothing. An id
# that is present but empty is still a defect.
_EXPECTED_ORPHANS: Final = ("customers", "customer_id_missing")


def visible(value: str) -> str:
    """``value`` with control characters written as escapes (``\\x07``, ``\\n``, ``\\t``)."""
    return "".join(
        character if character.isprintable() else character.encode("unicode_escape").decode()
        for character in value
    )


def _readable(rows: pd.DataFrame) -> pd.DataFrame:
    rows = rows.copy()
    for column in rows.columns:
        # Emails stay unquoted: the factory masks them whole (retention_assets.privacy).
        quote = "" if column == EMAIL_COLUMN else "'"
        rows[column] = rows[column].map(
            lambda cell, quote=quote: (
                f"{quote}{visible(cell)}{quote}" if isinstance(cell, str) else cell
            )
        )
    return rows


@dataclass(frozen=True)
class RawValueRule:
    """The staged rows of one raw table that one raw value rule rejects."""

    name: str
    description: str
    table: str
    # Fixed SQL condition over the staged table (no user value is formatted into it).
    condition: str
    needs_scope: bool = False

    def evaluate(
        self, session: WarehouseSession, params: Mapping[str, Any], sample_rows: int
    ) -> Findings:
        columns = ", ".join(identifier(column) for column in SAMPLE_COLUMNS[self.table])
        body = (
            f"rule_rows AS (SELECT {columns} FROM staged_{identifier(self.table)}"
            f" WHERE {self.condition})\nSELECT * FROM rule_rows"
        )
        rule = SqlRule(
            name=self.name,
            description=self.description,
            sql=with_staging(body, zoned_columns(session)),
            order_by=SAMPLE_COLUMNS[self.table][0],
            params={"rule": self.name},
            needs_scope=False,
        )
        findings = rule.evaluate(session, params, sample_rows)
        if findings.rows is None:
            return findings
        return Findings(findings.failing, _readable(findings.rows))


def _condition(rule: RawRule, table: str) -> str:
    if rule.verdict != REJECTED:
        return f"{_ATTRIBUTE_FLAGS[rule.name]} AND rejected_reason IS NULL"
    if (table, rule.name) == _EXPECTED_ORPHANS:
        return "rejected_reason = $rule AND raw_customer_id IS NOT NULL"
    return "rejected_reason = $rule"


def _params(scope: Scope | None) -> Mapping[str, Any]:
    return rule_params(load_settings().shop_timezone)


def raw_checks() -> list[WarehouseCheck]:
    """One WARN check per raw table that a rejection rule applies to."""
    checks = []
    for table in SAMPLE_COLUMNS:
        rules = [
            rule
            for rule in RAW_RULES
            if rule.verdict in (REJECTED, ATTRIBUTE_REJECTED) and table in rule.tables
        ]
        checks.append(
            WarehouseCheck(
                name=RAW_VALUES_CHECK,
                asset=raw_asset_key(table),
                description=(
                    f"Rows of {RAW_SCHEMA}.{table} whose values the models reject (see"
                    " docs/raw-contract.md): "
                    + "; ".join(f"{rule.name}: {rule.description}" for rule in rules)
                    + ". The models exclude these rows and count them; fix them in the"
                    " loader or the source system and re-load. Samples show the values as"
                    " loaded, emails masked and control characters escaped."
                ),
                rules=[
                    RawValueRule(rule.name, rule.description, table, _condition(rule, table))
                    for rule in rules
                ],
                severity=dg.AssetCheckSeverity.WARN,
                blocking=False,
                params=_params,
            )
        )
    return checks


RAW_CHECKS: Final[list[dg.AssetChecksDefinition]] = [
    build_asset_check(check) for check in raw_checks()
]
