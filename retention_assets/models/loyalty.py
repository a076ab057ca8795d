"""The shop's loyalty programs and their members: the models its object and relationship syncs read.

Customer.io can hold the programs as objects (type "loyalty programs") and each customer's
membership as a relationship that carries its points, so a journey can address "everyone in
Gold" or show a member's balance without copying the program's details onto every profile.
Both are derived from ``retention.customer_state`` of the same day, so they agree with the
profile attributes ``loyalty_tier`` and ``loyalty_points`` by construction.
"""

from typing import Final

import dagster as dg

from resources.warehouse import WarehouseResource
from retention_assets.models.build import ModelColumn
from retention_assets.models.state_derived import rebuild_days, state_derived_asset
from retention_assets.partitions import single_run_asset
from retention_assets.tables import LOYALTY_MEMBERS_TABLE, LOYALTY_PROGRAMS_TABLE

LOYALTY_PROGRAMS_COLUMNS: Final = (
    ModelColumn("as_of_date", "DATE", "The UTC day whose end the row describes (the partition)."),
    ModelColumn("program_code", "VARCHAR", "The tier's code; the Customer.io object id."),
    ModelColumn("program_name", "VARCHAR", "The tier's display name."),
    ModelColumn("perk", "VARCHAR", "What members of the tier get; none for the entry tier."),
    ModelColumn("min_points", "BIGINT", "Points balance from which a customer holds the tier."),
    ModelColumn("members", "BIGINT", "Customers holding the tier at the end of the day."),
)

LOYALTY_MEMBERS_COLUMNS: Final = (
    ModelColumn("as_of_date", "DATE", "The UTC day whose end the row describes (the partition)."),
    ModelColumn("customer_id", "VARCHAR", "The member; the Customer.io person id."),
    ModelColumn("program_code", "VARCHAR", "The tier the member holds; the object it joins."),
    ModelColumn("points", "BIGINT", "The member's points balance at the end of the day."),
)


@single_run_asset(
    **state_derived_asset(
        "retention_loyalty_programs",
        "One row per loyalty tier of the shop per day (bronze, silver, gold, platinum): its"
        " name, perk, the points it starts at, and how many customers held it at the end of"
        " the day. Synced to Customer.io as objects of type 1 (loyalty programs).",
        LOYALTY_PROGRAMS_TABLE,
        LOYALTY_PROGRAMS_COLUMNS,
        {"as_of_date": "as_of_date", "members": "loyalty_tier"},
    )
)
def retention_loyalty_programs(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Rebuild each day of the run's partitions from the customer state."""
    return rebuild_days(
        context, warehouse, LOYALTY_PROGRAMS_TABLE, LOYALTY_PROGRAMS_COLUMNS, "loyalty_programs.sql"
    )


@single_run_asset(
    **state_derived_asset(
        "retention_loyalty_members",
        "One row per customer in a loyalty tier per day, with their points balance. Synced to"
        " Customer.io as the relationship between the person and their tier's object, with"
        " the points as its attribute; a customer who leaves the program loses the"
        " relationship.",
        LOYALTY_MEMBERS_TABLE,
        LOYALTY_MEMBERS_COLUMNS,
        {
            "as_of_date": "as_of_date",
            "customer_id": "customer_id",
            "program_code": "loyalty_tier",
            "points": "loyalty_points",
        },
    )
)
def retention_loyalty_members(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    """Rebuild each day of the run's partitions from the customer state."""
    return rebuild_days(
        context, warehouse, LOYALTY_MEMBERS_TABLE, LOYALTY_MEMBERS_COLUMNS, "loyalty_members.sql"
    )
