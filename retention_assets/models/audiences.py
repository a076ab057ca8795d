"""The shop's audiences: who the warehouse says belongs in a Customer.io manual segment.

A segment sync keeps the manual segment equal to one of these models (docs/segments.md), so a
journey or a newsletter can target "VIP customers" as the warehouse defines them, with the
marketer's hand-added people left alone. Derived from ``retention.customer_state`` of the same
day, the audience agrees with the profile attribute ``is_vip`` by construction.
"""

from typing import Final

import dagster as dg

from resources.warehouse import WarehouseResource
from retention_assets.models.build import ModelColumn
from retention_assets.models.state_derived import rebuild_days, state_derived_asset
from retention_assets.partitions import single_run_asset
from retention_assets.tables import VIP_AUDIENCE_TABLE

VIP_AUDIENCE_COLUMNS: Final = (
    ModelColumn("as_of_date", "DATE", "The UTC day whose end the row describes (the partition)."),
    ModelColumn("customer_id", "VARCHAR", "The VIP; the Customer.io person id."),
    ModelColumn("vip_tier", "VARCHAR", "gold or silver, from lifetime revenue."),
)


@single_run_asset(
    **state_derived_asset(
        "retention_vip_audience",
        "One row per VIP customer per day: the customers the VIP rule rates gold or silver at"
        ' the end of the day. Synced to Customer.io as the manual segment "VIP customers":'
        " a customer who stops being VIP is removed from it, people a marketer added by hand"
        " stay.",
        VIP_AUDIENCE_TABLE,
        VIP_AUDIENCE_COLUMNS,
        {"as_of_date": "as_of_date", "customer_id": "customer_id", "vip_tier": "vip_tier"},
    )
)
def retention_vip_audience(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Rebuild each day of the run's partitions from the customer state."""
    return rebuild_days(
        context, warehouse, VIP_AUDIENCE_TABLE, VIP_AUDIENCE_COLUMNS, "vip_audience.sql"
    )
