"""``retention_events``: one row per customer event, the moments Customer.io journeys trigger on.

Events are derived in the warehouse from orders, refunds, subscription history and support
tickets, each with a key that is built from source keys only, so a rebuild produces the same
keys and the sync can derive stable Customer.io event ids from them. Partitions are UTC days
of ``occurred_at``; a rebuild reads everything landed so far, which is how a refund that lands
days late reaches its day.
"""

import re
from typing import Final

import dagster as dg

from resources.warehouse import WarehouseResource, transaction
from retention_assets.lineage import EVENTS_LINEAGE, column_lineage
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
    EVENT_TABLES,
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
from retention_assets.shop_specs import EVENT_VOCABULARY
from retention_assets.sources.assets import raw_asset_key
from retention_assets.tables import EVENTS_TABLE

EVENT_COLUMNS: Final[tuple[ModelColumn, ...]] = (
    ModelColumn(
        "event_key",
        "VARCHAR",
        "Unique, stable key from source keys: order:<order_id>, refund:<refund_id>, "
        "subscription:<subscription_id>:<status>:<updated_at UTC ISO>, ticket:<ticket_id>.",
    ),
    ModelColumn("event_name", "VARCHAR", "Event name from the locked vocabulary."),
    ModelColumn("customer_id", "VARCHAR", "Canonical shop customer id; the Customer.io person id."),
    ModelColumn("occurred_at", "TIMESTAMPTZ", "When the event happened, in UTC."),
    ModelColumn("event_date", "DATE", "UTC day of occurred_at: the partition."),
    ModelColumn("properties", "VARCHAR", "Lean JSON object sent as the event's data."),
    ModelColumn("loaded_at", "TIMESTAMPTZ", "When the source row landed in the warehouse (UTC)."),
)

SOURCE_TABLES: Final = (
    "orders",
    "order_items",
    "refunds",
    "subscriptions",
    "support_tickets",
    "privacy_requests",
)


def event_name_param(name: str) -> str:
    """The SQL parameter that binds event ``name``: ``Order Placed`` -> ``order_placed``."""
    return re.sub(r"\W+", "_", name.lower()).strip("_")


# SQL parameter -> event name, from the events spec's vocabulary: the SQL never spells an
# event name itself, so a name is renamed in the spec alone (and the SQL's parameter with it).
EVENT_NAME_PARAMS: Final[dict[str, str]] = {
    event_name_param(name): name for name in EVENT_VOCABULARY
}

# The SELECT follows the staging CTEs, whose text depends on the raw columns' types.
_SELECT_BODY: Final = load_sql("events.sql")
_WINDOW_FILTER: Final = "event_date >= $first_day AND event_date <= $last_day"
_DELETE_SQL: Final = f"DELETE FROM {EVENTS_TABLE} WHERE {_WINDOW_FILTER}"
_COUNTS_SQL: Final = (
    f"SELECT event_name, count(*) FROM {EVENTS_TABLE} WHERE {_WINDOW_FILTER}"
    " GROUP BY event_name ORDER BY event_name"
)
_PREVIEW_SQL: Final = (
    f"SELECT * FROM {EVENTS_TABLE} WHERE {_WINDOW_FILTER}"
    f" ORDER BY occurred_at DESC, event_key LIMIT {PREVIEW_ROWS}"
)

_EVENT_LINES: Final = "\n".join(
    f"- **{name}**: {description}" for name, description in EVENT_VOCABULARY.items()
)
DESCRIPTION: Final = f"""\
One row per customer event, in UTC, ready to send to Customer.io as tracked events. Journeys
start from these names, which come from a locked vocabulary:

{_EVENT_LINES}

Subscription events are changes of status between consecutive rows of a subscription's
history; a subscription that becomes active again after a pause sends Subscription Started
with `resumed: true`. A refund belongs to its order's customer. Events without a customer id
are dropped.

For data engineers: table `{EVENTS_TABLE}`, partitioned by `event_date` (UTC day of
`occurred_at`). `event_key` is unique and stable across rebuilds. A run deletes the events of
its days and inserts them again from everything landed so far, in one transaction, so a late
row appears when its day is rebuilt. Store-local shop timestamps are converted to UTC with the
configured shop zone (a column typed TIMESTAMPTZ is read as the instant it holds).

Dirty raw values follow the rules of `docs/raw-contract.md`: ids and statuses are trimmed and
lower-cased; rows with a missing or control-character customer id, an unknown status, a
timestamp before 2000 or after the row landed (1970, 9999), or a missing, NaN or negative
amount never become events. The run's metadata counts each rule over every landed row of the
sources (`raw_rejected: ...`, `raw_normalised: ...`, `raw_verdicts`).
"""


@single_run_asset(
    key="retention_events",
    group_name="retention",
    description=DESCRIPTION,
    deps=[raw_asset_key(table) for table in SOURCE_TABLES],
    partitions_def=DAILY_PARTITIONS,
    owners=["team:data-engineering"],
    kinds={warehouse_kind(), "sql"},
    metadata={
        "dagster/table_name": EVENTS_TABLE,
        "dagster/column_schema": column_schema(EVENT_COLUMNS, EVENTS_LINEAGE),
        "dagster/column_lineage": column_lineage(EVENTS_LINEAGE),
    },
)
def retention_events(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Rebuild the events of the run's days with one statement over the whole window."""
    days = partition_days(context)
    window = {"first_day": days[0], "last_day": days[-1]}
    # Events select by time range, so a range backfill is one scan of the sources, not one per day.
    window_start, window_end = day_bounds(days[0])[0], day_bounds(days[-1])[1]
    shop_zone = load_settings().shop_timezone
    params = {
        **rule_params(shop_zone),
        "window_start": window_start,
        "window_end": window_end,
        "window_start_utc": window_start.replace(tzinfo=None),
        "window_end_utc": window_end.replace(tzinfo=None),
        **EVENT_NAME_PARAMS,
    }
    with warehouse.session() as session:
        ensure_table(session, EVENTS_TABLE, EVENT_COLUMNS)
        zoned = zoned_columns(session)
        insert = insert_sql(EVENTS_TABLE, EVENT_COLUMNS, with_staging(_SELECT_BODY, zoned))
        with transaction(session):
            session.execute(_DELETE_SQL, window)
            session.execute(insert, params)
        counts = dict(session.fetch_all(_COUNTS_SQL, window))
        preview = session.fetch_arrow(_PREVIEW_SQL, window)
        # A rejected timestamp (1970, 9999) belongs to no window: count every landed row.
        verdicts = count_verdicts(session, zoned, shop_zone, EVENT_TABLES, None)
    context.log.info(f"{EVENTS_TABLE} {days[0]}..{days[-1]}: {verdicts.summary()}")
    rows_written = sum(counts.values())
    context.log.info(f"{EVENTS_TABLE} {days[0]}..{days[-1]}: {rows_written} events")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows_written,
            "partitions_built": len(days),
            "events_by_name": {name: counts.get(name, 0) for name in EVENT_NAME_PARAMS.values()},
            "preview": preview_table(preview),
            **verdicts.metadata(),
        }
    )
