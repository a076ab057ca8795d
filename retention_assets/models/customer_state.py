"""``retention_customer_state``: one row per customer per day, the profile Customer.io segments on.

The state is computed in the warehouse for each daily partition as of the end of that UTC day,
from rows that had both happened and landed by then. That makes every partition reproducible
(a rebuild of a past day never changes because of data that landed later) and makes late data
count from the first day it was there. The business rules whose thresholds marketers tune live
here as named constants and reach the SQL as parameters.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

import dagster as dg

from resources.warehouse import WarehouseResource, transaction
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
from retention_assets.tables import CUSTOMER_STATE_TABLE, RAW_SCHEMA


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
    "categories",
)

# The SELECT follows the staging CTEs, whose text depends on the raw columns' types.
_SELECT_BODY: Final = load_sql("customer_state.sql")
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

Dirty raw values follow the rules of `docs/raw-contract.md`: ids and statuses are trimmed and
lower-cased, emails lose whitespace and capitals, a shop timestamp column typed TIMESTAMPTZ is
read as the instant it holds; rows with a missing or control-character id, an unknown status,
an implausible timestamp or a missing, NaN or negative amount are excluded, and an invalid
email is dropped as an attribute. The run's metadata counts each rule (`raw_rejected: ...`,
`raw_normalised: ...`, `raw_verdicts`); the raw tables' `raw_values` checks show samples.
"""


def _day_params(day: dt.date, shop_zone: str) -> dict[str, object]:
    _, as_of_end = day_bounds(day)
    return {
        **rule_params(shop_zone),
        "as_of_date": day,
        "as_of_end": as_of_end,
        "as_of_end_utc": as_of_end.replace(tzinfo=None),
        "reactivation_cutoff": as_of_end - dt.timedelta(days=REACTIVATION_QUIET_DAYS),
        "shop_zone": shop_zone,
        "vip_gold_min": VIP_RULE.gold_min_revenue,
        "vip_silver_min": VIP_RULE.silver_min_revenue,
        "vip_version": VIP_RULE.version,
        "margin_high_min": MARGIN_HIGH_MIN,
        "margin_medium_min": MARGIN_MEDIUM_MIN,
    }


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
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Rebuild each as-of day of the run's partitions from the raw tables."""
    shop_zone = load_settings().shop_timezone
    days = partition_days(context)
    rows_written = 0
    with warehouse.session() as session:
        ensure_table(session, CUSTOMER_STATE_TABLE, CUSTOMER_STATE_COLUMNS)
        zoned = zoned_columns(session)
        insert = insert_sql(
            CUSTOMER_STATE_TABLE, CUSTOMER_STATE_COLUMNS, with_staging(_SELECT_BODY, zoned)
        )
        for day in days:
            with transaction(session):
                session.execute(_DELETE_SQL, {"as_of_date": day})
                session.execute(insert, _day_params(day, shop_zone))
            day_rows = session.fetch_all(_COUNT_SQL, {"as_of_date": day})[0][0]
            context.log.info(f"{CUSTOMER_STATE_TABLE} as of {day}: {day_rows} customers")
            rows_written += day_rows
        last_day = days[-1]
        preview = session.fetch_arrow(_PREVIEW_SQL, {"as_of_date": last_day})
        last_end_utc = day_bounds(last_day)[1].replace(tzinfo=None)
        null_id_rows = session.fetch_all(_NULL_ID_SQL, {"as_of_end_utc": last_end_utc})
        # Counted as of the last day built: the raw rows that had landed by its end.
        verdicts = count_verdicts(session, zoned, shop_zone, STATE_TABLES, last_end_utc)
    context.log.info(f"{CUSTOMER_STATE_TABLE} as of {last_day}: {verdicts.summary()}")
    return dg.MaterializeResult(
        metadata={
            # Rows this run wrote: the day's customers for one partition, their sum for a range.
            "dagster/row_count": rows_written,
            "partitions_built": len(days),
            "last_as_of_date": str(last_day),
            "customers_on_last_day": day_rows,
            "ignored_null_customer_id_rows": null_id_rows[0][0],
            "preview": preview_table(preview),
            **verdicts.metadata(),
        }
    )
