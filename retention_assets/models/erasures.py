"""``retention_erasure_requests``: the customers who asked to be erased (GDPR/CCPA).

The privacy tool's requests land in ``raw.privacy_requests``; the erasure sync reads this
model and suppresses each customer in Customer.io (docs/removals.md). The customer state and
the events models leave the same customers out of every day, so no sync holds them; the
suppression list is the second line: a row naming one would be reported, never sent.
"""

from typing import Final

import dagster as dg

from resources.warehouse import WarehouseResource, transaction
from retention_assets.lineage import ERASURE_LINEAGE, column_lineage
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
    count_verdicts,
    rule_params,
    with_staging,
    zoned_columns,
)
from retention_assets.settings import load_settings, warehouse_kind
from retention_assets.sources.assets import raw_asset_key
from retention_assets.tables import ERASURE_REQUESTS_TABLE

ERASURE_COLUMNS: Final = (
    ModelColumn("customer_id", "VARCHAR", "The customer to erase; the Customer.io person id."),
    ModelColumn("requested_at", "TIMESTAMPTZ", "When the customer first asked (UTC)."),
)
_SOURCE_TABLES: Final = ("privacy_requests",)
_SELECT_BODY: Final = load_sql("erasure_requests.sql")

DESCRIPTION: Final = f"""\
One row per customer who asked to be erased, from the privacy tool's requests. The erasure
sync suppresses each of them in Customer.io: the profile is deleted and the id can never be
identified again. The customer state and events models leave these customers out of every
day, whenever the request came.

For data engineers: table `{ERASURE_REQUESTS_TABLE}`, rebuilt whole by every run from
`raw.privacy_requests` (requests of type `erasure`, the first one per customer; access
requests are not erasures). Requests with a missing or broken id or an unknown type are
excluded and counted (`raw_rejected: ...`), and the raw table's check shows them: a misspelt
erasure request is a request nobody acted on yet.
"""


@dg.asset(
    key="retention_erasure_requests",
    group_name="retention",
    description=DESCRIPTION,
    deps=[raw_asset_key(table) for table in _SOURCE_TABLES],
    owners=["team:data-engineering"],
    kinds={warehouse_kind(), "sql"},
    metadata={
        "dagster/table_name": ERASURE_REQUESTS_TABLE,
        "dagster/column_schema": column_schema(ERASURE_COLUMNS, ERASURE_LINEAGE),
        "dagster/column_lineage": column_lineage(ERASURE_LINEAGE),
    },
)
def retention_erasure_requests(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Replace the table with every erasure request landed so far."""
    shop_zone = load_settings().shop_timezone
    with warehouse.session() as session:
        ensure_table(session, ERASURE_REQUESTS_TABLE, ERASURE_COLUMNS)
        zoned = zoned_columns(session)
        insert = insert_sql(
            ERASURE_REQUESTS_TABLE, ERASURE_COLUMNS, with_staging(_SELECT_BODY, zoned)
        )
        with transaction(session):
            session.execute(f"DELETE FROM {ERASURE_REQUESTS_TABLE}")
            session.execute(insert, rule_params(shop_zone))
        rows = session.fetch_all(f"SELECT count(*) FROM {ERASURE_REQUESTS_TABLE}")[0][0]
        preview = session.fetch_arrow(
            f"SELECT * FROM {ERASURE_REQUESTS_TABLE} ORDER BY requested_at DESC"
            f" LIMIT {PREVIEW_ROWS}"
        )
        verdicts = count_verdicts(session, zoned, shop_zone, _SOURCE_TABLES, None)
    context.log.info(f"{ERASURE_REQUESTS_TABLE}: {rows} customers; {verdicts.summary()}")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "preview": preview_table(preview),
            **verdicts.metadata(),
        }
    )
