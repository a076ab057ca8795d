"""``retention_customer_state``: one row per customer per day, the profile Customer.io segments on.

The state is computed in the warehouse for each daily partition as of the end of that UTC day,
from rows that had both happened and landed by then. That makes every partition reproducible
(a rebuild of a past day never changes because of data that landed later) and makes late data
count from the first day it was there. The business rules whose thresholds marketers tune live
here as named constants and reach the SQL as parameters.
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

import dagster as dg
from pydantic import Field

from resources.warehouse import (
    WarehouseResource,
    WarehouseSession,
    split_statements,
    transaction,
)
from retention_assets.lineage import CUSTOMER_STATE_LINEAGE, column_lineage
from retention_assets.models.build import (
    PREVIEW_ROWS,
    ModelColumn,
    column_schema,
    ensure_table,
    insert_sql,
    load_sql,
    preview_table,
)
from retention_assets.models.raw_rules import (
    STATE_TABLES,
    Verdicts,
    count_verdicts,
    rule_params,
    with_staging,
    zoned_columns,
)
from retention_assets.partitions import (
    DAILY_PARTITIONS,
    day_bounds,
    partition_days,
    single_run_asset,
)
from retention_assets.settings import load_settings, warehouse_kind
from retention_assets.shop_specs import ATTRIBUTE_DESCRIPTIONS
from retention_assets.sources.assets import raw_asset_key
from retention_assets.tables import CUSTOMER_STATE_BUILDS_TABLE, CUSTOMER_STATE_TABLE, RAW_SCHEMA


@dataclass(frozen=True)
class VipRule:
    """Lifetime-revenue thresholds of the VIP tiers, and the version that names them."""

    version: int
    gold_min_revenue: Decimal
    silver_min_revenue: Decimal


# Bump the version with any change of the thresholds: journeys and reports that compare tiers
# across time read vip_definition_version to tell a rule change from a customer's change.
VIP_RULE: Final = VipRule(
    version=1, gold_min_revenue=Decimal("1000"), silver_min_revenue=Decimal("300")
)
MARGIN_HIGH_MIN: Final = Decimal("0.5")
MARGIN_MEDIUM_MIN: Final = Decimal("0.3")
REACTIVATION_QUIET_DAYS: Final = 60

_OWN_COLUMN_DESCRIPTIONS: Final = {
    "customer_id": "Canonical shop customer id; the Customer.io person id.",
    "as_of_date": "The UTC day whose end the row describes (the partition).",
}

# (column, warehouse type). Every column but customer_id and as_of_date is a Customer.io
# attribute the shop's profile spec maps, so its description comes from the spec.
_COLUMN_TYPES: Final = (
    ("customer_id", "VARCHAR"),
    ("as_of_date", "DATE"),
    ("email", "VARCHAR"),
    ("lifetime_orders", "BIGINT"),
    ("lifetime_revenue", "DECIMAL(18,2)"),
    ("first_order_at", "TIMESTAMPTZ"),
    ("last_order_at", "TIMESTAMPTZ"),
    ("top_category", "VARCHAR"),
    ("predicted_next_purchase_at", "TIMESTAMPTZ"),
    ("needs_replenishment", "BOOLEAN"),
    ("vip_tier", "VARCHAR"),
    ("is_vip", "BOOLEAN"),
    ("vip_definition_version", "INTEGER"),
    ("subscription_status", "VARCHAR"),
    ("has_active_subscription", "BOOLEAN"),
    ("last_refund_at", "TIMESTAMPTZ"),
    ("gross_margin_bucket", "VARCHAR"),
    ("discount_eligible", "BOOLEAN"),
    ("last_activity_at", "TIMESTAMPTZ"),
    ("is_reactivation_eligible", "BOOLEAN"),
    ("loyalty_points", "BIGINT"),
    ("loyalty_tier", "VARCHAR"),
)

CUSTOMER_STATE_COLUMNS: Final[tuple[ModelColumn, ...]] = tuple(
    ModelColumn(
        name,
        sql_type,
        _OWN_COLUMN_DESCRIPTIONS.get(name) or ATTRIBUTE_DESCRIPTIONS[name],
    )
    for name, sql_type in _COLUMN_TYPES
)

SOURCE_TABLES: Final = (
    "customers",
    "orders",
    "order_items",
    "refunds",
    "subscriptions",
    "support_tickets",
    "web_sessions",
    "loyalty_accounts",
    "privacy_requests",
    "categories",
)

BUILD_COLUMNS: Final = (
    ModelColumn("as_of_date", "DATE", "The partition day built."),
    ModelColumn("built_at", "TIMESTAMPTZ", "When the build committed."),
    ModelColumn(
        "build",
        "VARCHAR",
        "full, or incremental (the previous day's rows carried, touched customers computed).",
    ),
    ModelColumn("customers", "BIGINT", "Rows the day holds."),
    ModelColumn("fingerprint", "VARCHAR", "SHA-256 of the SQL, rule values and categories."),
    ModelColumn("landed_rows", "VARCHAR", "JSON: raw rows landed by the day's end, per table."),
    ModelColumn("raw_verdicts", "VARCHAR", "JSON: rows each raw value rule hit among them."),
)

# The SELECT follows the staging CTEs, whose text depends on the raw columns' types; its
# template fields take one of two fixed sets (see the file's header).
_SELECT_BODY: Final = load_sql("customer_state.sql")
# Temporary tables an incremental build fills before its INSERT reads them (name, SELECT).
_TOUCHED_TABLES: Final = (
    ("touched_customers", load_sql("customer_state_touched.sql")),
    ("touched_orders", load_sql("customer_state_touched_orders.sql")),
)
_FULL_SCOPE: Final = {"customer_scope": "TRUE", "order_scope": "TRUE", "carried": ""}
_INCREMENTAL_SCOPE: Final = {
    "customer_scope": "customer_id IN (SELECT customer_id FROM touched_customers)",
    "order_scope": "order_id IN (SELECT order_id FROM touched_orders)",
    "carried": load_sql("customer_state_carried.sql").format(customer_state=CUSTOMER_STATE_TABLE),
}
_LANDED_ROWS_SQL, _CATEGORIES_SQL = split_statements(load_sql("customer_state_inputs.sql"))
_PREVIOUS_BUILD_SQL: Final = (
    f"SELECT fingerprint, customers, landed_rows, raw_verdicts FROM {CUSTOMER_STATE_BUILDS_TABLE}"
    " WHERE as_of_date = $as_of_date"
)
_FORGET_BUILD_SQL: Final = (
    f"DELETE FROM {CUSTOMER_STATE_BUILDS_TABLE} WHERE as_of_date = $as_of_date"
)
_RECORD_BUILD_SQL: Final = (
    f"INSERT INTO {CUSTOMER_STATE_BUILDS_TABLE}"
    f" ({', '.join(column.name for column in BUILD_COLUMNS)})"
    " VALUES ($as_of_date, $built_at, $build, $customers, $fingerprint, $landed_rows,"
    " $raw_verdicts)"
)
_DELETE_SQL: Final = f"DELETE FROM {CUSTOMER_STATE_TABLE} WHERE as_of_date = $as_of_date"
_COUNT_SQL: Final = f"SELECT count(*) FROM {CUSTOMER_STATE_TABLE} WHERE as_of_date = $as_of_date"
_PREVIEW_SQL: Final = (
    f"SELECT * FROM {CUSTOMER_STATE_TABLE} WHERE as_of_date = $as_of_date"
    f" ORDER BY customer_id LIMIT {PREVIEW_ROWS}"
)
_NULL_ID_SQL: Final = (
    f"SELECT count(*) FROM {RAW_SCHEMA}.customers"
    " WHERE customer_id IS NULL AND _loaded_at < $as_of_end_utc"
)

DESCRIPTION: Final = f"""\
One row per customer per day: the customer's profile as it stood at the end of that UTC day.
This is what the Customer.io sync writes as person attributes (identified by customer_id,
never by email), so segments such as "VIP", "lapsed 60 days" or "due for a refill" read it.

For marketers: lifetime orders and revenue count placed orders only, minus their refunds;
VIP tiers are gold from {VIP_RULE.gold_min_revenue} and silver from
{VIP_RULE.silver_min_revenue} of lifetime revenue (rule version {VIP_RULE.version});
reactivation-eligible means at least one order and no order, web session or support ticket
in the last {REACTIVATION_QUIET_DAYS} days; a discount is offered only when the customer's
item margin is high (>= {MARGIN_HIGH_MIN}) or medium (>= {MARGIN_MEDIUM_MIN}).

For data engineers: table `{CUSTOMER_STATE_TABLE}`, partitioned by `as_of_date`. A raw row
counts when its business time and its `_loaded_at` are before the end of the day, so a late
refund changes the days after it landed, never the days before. Store-local shop timestamps
are converted to UTC with the configured shop zone. A rebuild replaces the day in one
transaction; a range backfill runs one statement per day in a single run.

A day is built from the day before when it can be: the customers a raw row touched during the
day are computed from the raw tables, everyone else keeps the previous day's values (with what
depends on the day itself, such as reactivation eligibility, recomputed). That needs the
previous day built by the same rules, its rows intact, and the raw rows landed by its end
unchanged (counted per table); otherwise, or when the run's config sets `full_rebuild`, every
customer is computed. `{CUSTOMER_STATE_BUILDS_TABLE}` records how each day was built; the
run's metadata shows it (`build_of_last_day`).

Dirty raw values follow the rules of `docs/raw-contract.md`: ids and statuses are trimmed and
lower-cased, emails lose whitespace and capitals, a shop timestamp column typed TIMESTAMPTZ is
read as the instant it holds; rows with a missing or control-character id, an unknown status,
an implausible timestamp or a missing, NaN or negative amount are excluded, and an invalid
email is dropped as an attribute. The run's metadata counts each rule (`raw_rejected: ...`,
`raw_normalised: ...`, `raw_verdicts`); the raw tables' `raw_values` checks show samples.
"""


def _rule_values(shop_zone: str) -> dict[str, object]:
    """The parameters that hold the rules: the same for every day."""
    return {
        **rule_params(shop_zone),
        "vip_gold_min": VIP_RULE.gold_min_revenue,
        "vip_silver_min": VIP_RULE.silver_min_revenue,
        "vip_version": VIP_RULE.version,
        "margin_high_min": MARGIN_HIGH_MIN,
        "margin_medium_min": MARGIN_MEDIUM_MIN,
    }


def _day_params(day: dt.date, shop_zone: str) -> dict[str, object]:
    since, as_of_end = day_bounds(day)
    return {
        **_rule_values(shop_zone),
        "as_of_date": day,
        "as_of_end": as_of_end,
        "as_of_end_utc": as_of_end.replace(tzinfo=None),
        "reactivation_cutoff": as_of_end - dt.timedelta(days=REACTIVATION_QUIET_DAYS),
        "previous_date": day - dt.timedelta(days=1),
        "since": since,
        "since_utc": since.replace(tzinfo=None),
    }


class CustomerStateBuild(dg.Config):
    """Run configuration of a build (Launchpad: ``ops.retention_customer_state.config``)."""

    full_rebuild: bool = Field(
        default=False,
        description=(
            "Compute every customer from the raw tables, even where the previous day's build"
            " could be carried forward (after rows were changed in place, which the"
            " incremental build cannot see)."
        ),
    )


@dataclass(frozen=True)
class _Statements:
    """The two forms of a day's INSERT, the temporary tables the incremental one reads, and
    the fingerprint of the rules they apply."""

    full: str
    incremental: str
    touched: tuple[str, ...]
    fingerprint: str


def _statements(session: WarehouseSession, zoned: frozenset[str], shop_zone: str) -> _Statements:
    full = insert_sql(
        CUSTOMER_STATE_TABLE,
        CUSTOMER_STATE_COLUMNS,
        with_staging(_SELECT_BODY.format(**_FULL_SCOPE), zoned),
    )
    incremental = insert_sql(
        CUSTOMER_STATE_TABLE,
        CUSTOMER_STATE_COLUMNS,
        with_staging(_SELECT_BODY.format(**_INCREMENTAL_SCOPE), zoned),
    )
    touched = tuple(
        f"CREATE OR REPLACE TEMP TABLE {name} AS\n{with_staging(body, zoned)}"
        for name, body in _TOUCHED_TABLES
    )
    # Anything that changes what a day's row holds, other than the raw rows themselves.
    rules = json.dumps(
        {name: str(value) for name, value in sorted(_rule_values(shop_zone).items())}
    )
    categories = json.dumps(session.fetch_all(_CATEGORIES_SQL))
    digest = hashlib.sha256("\n".join((full, rules, categories)).encode()).hexdigest()
    return _Statements(full, incremental, touched, digest)


def _landed_rows(session: WarehouseSession, day: dt.date) -> dict[str, int]:
    """Raw rows landed by the end of ``day``, per table."""
    loaded_before = day_bounds(day)[1].replace(tzinfo=None)
    rows = session.fetch_all(_LANDED_ROWS_SQL, {"loaded_before": loaded_before})
    return {str(table): int(count) for table, count in rows}


@dataclass(frozen=True)
class _Plan:
    """How one day is built: incremental with the previous day's counts, or full and why."""

    previous_verdicts: Verdicts | None
    reason: str


def _build_plan(
    session: WarehouseSession,
    day: dt.date,
    statements: _Statements,
    zoned: frozenset[str],
    full_rebuild: bool,
) -> _Plan:
    """Whether the previous day's rows can be carried into ``day``: only if that day was built
    by these rules from the raw rows that are there now, and its rows are still all there."""
    previous = day - dt.timedelta(days=1)
    if full_rebuild:
        return _Plan(None, "full (requested by the run's configuration)")
    record = session.fetch_all(_PREVIOUS_BUILD_SQL, {"as_of_date": previous})
    if not record:
        return _Plan(None, f"full (no build of {previous} on record)")
    fingerprint, customers, landed_json, verdicts_json = record[0]
    if fingerprint != statements.fingerprint:
        return _Plan(None, f"full (the rules changed since {previous} was built)")
    if session.fetch_all(_COUNT_SQL, {"as_of_date": previous})[0][0] != customers:
        return _Plan(None, f"full (the rows of {previous} changed since it was built)")
    then = json.loads(landed_json)
    now = _landed_rows(session, previous)
    if now != then:
        changed = ", ".join(
            f"{table}: {then.get(table, 0):,} then, {now.get(table, 0):,} now"
            for table in sorted(set(then) | set(now))
            if then.get(table) != now.get(table)
        )
        return _Plan(None, f"full (raw rows landed by the end of {previous} changed: {changed})")
    return _Plan(
        Verdicts.from_json(verdicts_json, zoned, STATE_TABLES), f"incremental from {previous}"
    )


def _build_day(
    session: WarehouseSession,
    day: dt.date,
    statements: _Statements,
    zoned: frozenset[str],
    shop_zone: str,
    full_rebuild: bool,
) -> tuple[int, Verdicts, _Plan]:
    """Replace ``day`` and its build record in one transaction; its rows, verdicts and plan."""
    params = _day_params(day, shop_zone)
    start, end = day_bounds(day)
    start_utc, end_utc = start.replace(tzinfo=None), end.replace(tzinfo=None)
    plan = _build_plan(session, day, statements, zoned, full_rebuild)
    if plan.previous_verdicts is not None:
        # Before the transaction (a warehouse may commit on DDL): the day's touched customers
        # and their orders, a few thousand ids the INSERT then reads, instead of evaluating
        # them within it over every staged raw row at once (gigabytes at a million customers).
        for statement in statements.touched:
            session.execute(statement, params)
    with transaction(session):
        session.execute(_DELETE_SQL, {"as_of_date": day})
        if plan.previous_verdicts is None:
            session.execute(statements.full, params)
            verdicts = count_verdicts(session, zoned, shop_zone, STATE_TABLES, end_utc)
        else:
            session.execute(statements.incremental, params)
            verdicts = plan.previous_verdicts.plus(
                count_verdicts(session, zoned, shop_zone, STATE_TABLES, end_utc, start_utc)
            )
        customers = session.fetch_all(_COUNT_SQL, {"as_of_date": day})[0][0]
        session.execute(_FORGET_BUILD_SQL, {"as_of_date": day})
        session.execute(
            _RECORD_BUILD_SQL,
            {
                "as_of_date": day,
                "built_at": dt.datetime.now(dt.UTC),
                "build": plan.reason,
                "customers": customers,
                "fingerprint": statements.fingerprint,
                "landed_rows": json.dumps(_landed_rows(session, day)),
                "raw_verdicts": verdicts.to_json(),
            },
        )
    return int(customers), verdicts, plan


@single_run_asset(
    key="retention_customer_state",
    group_name="retention",
    description=DESCRIPTION,
    deps=[raw_asset_key(table) for table in SOURCE_TABLES],
    partitions_def=DAILY_PARTITIONS,
    owners=["team:data-engineering"],
    kinds={warehouse_kind(), "sql"},
    metadata={
        "dagster/table_name": CUSTOMER_STATE_TABLE,
        "dagster/column_schema": column_schema(CUSTOMER_STATE_COLUMNS, CUSTOMER_STATE_LINEAGE),
        "dagster/column_lineage": column_lineage(CUSTOMER_STATE_LINEAGE),
        "vip_definition_version": VIP_RULE.version,
    },
)
def retention_customer_state(
    context: dg.AssetExecutionContext, config: CustomerStateBuild, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Build each as-of day of the run's partitions, incrementally where the day before allows."""
    shop_zone = load_settings().shop_timezone
    days = partition_days(context)
    rows_written = 0
    incremental_days = 0
    with warehouse.session() as session:
        ensure_table(session, CUSTOMER_STATE_TABLE, CUSTOMER_STATE_COLUMNS)
        ensure_table(session, CUSTOMER_STATE_BUILDS_TABLE, BUILD_COLUMNS)
        zoned = zoned_columns(session)
        statements = _statements(session, zoned, shop_zone)
        for day in days:
            day_rows, verdicts, plan = _build_day(
                session, day, statements, zoned, shop_zone, config.full_rebuild
            )
            context.log.info(
                f"{CUSTOMER_STATE_TABLE} as of {day}: {day_rows} customers, {plan.reason}"
            )
            rows_written += day_rows
            incremental_days += plan.previous_verdicts is not None
        last_day = days[-1]
        preview = session.fetch_arrow(_PREVIEW_SQL, {"as_of_date": last_day})
        last_end_utc = day_bounds(last_day)[1].replace(tzinfo=None)
        null_id_rows = session.fetch_all(_NULL_ID_SQL, {"as_of_end_utc": last_end_utc})
    # Counted as of the last day built: the raw rows that had landed by its end.
    context.log.info(f"{CUSTOMER_STATE_TABLE} as of {last_day}: {verdicts.summary()}")
    return dg.MaterializeResult(
        metadata={
            # Rows this run wrote: the day's customers for one partition, their sum for a range.
            "dagster/row_count": rows_written,
            "partitions_built": len(days),
            "last_as_of_date": str(last_day),
            "customers_on_last_day": day_rows,
            "build_of_last_day": plan.reason,
            "days_built_full": len(days) - incremental_days,
            "days_built_incrementally": incremental_days,
            "ignored_null_customer_id_rows": null_id_rows[0][0],
            "preview": preview_table(preview),
            **verdicts.metadata(),
        }
    )
