"""The `raw` source contract as data.

The generator, the Dagster source-asset definitions and the docs all describe the same raw
tables; keeping the contract here, once, means a renamed column or changed key fails loudly
everywhere instead of drifting between SQL, asset metadata and README.

Timestamps in raw tables are naive. ``zone_setting`` names the configuration variable that
decides the zone of a table's business timestamps (``None``: the producing system writes
UTC). ``_loaded_at`` is always naive UTC, whatever the table's zone.
"""

from __future__ import annotations

from dataclasses import dataclass

from retention_assets.settings import SHOP_TIMEZONE
from retention_assets.tables import RAW_SCHEMA

UTC = "UTC"
LOADED_AT = "_loaded_at"


@dataclass(frozen=True)
class RawColumn:
    name: str
    type: str
    description: str


@dataclass(frozen=True)
class RawTable:
    name: str
    description: str
    source_system: str
    columns: tuple[RawColumn, ...]
    key: tuple[str, ...]
    zone_setting: str | None

    @property
    def qualified_name(self) -> str:
        return f"{RAW_SCHEMA}.{self.name}"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def timestamp_columns(self) -> tuple[str, ...]:
        """Business timestamps, in the table's zone (``_loaded_at`` excluded: always UTC)."""
        return tuple(
            column.name
            for column in self.columns
            if column.type == "TIMESTAMP" and column.name != LOADED_AT
        )

    def zone(self, shop_timezone: str) -> str:
        """The IANA zone of the business timestamps, given the configured shop zone."""
        return shop_timezone if self.zone_setting == SHOP_TIMEZONE else UTC


def _loaded_at() -> RawColumn:
    return RawColumn(
        LOADED_AT, "TIMESTAMP", "When the row landed in the warehouse (naive UTC); re-loads repeat"
    )


RAW_TABLES: dict[str, RawTable] = {
    table.name: table
    for table in (
        RawTable(
            name="customers",
            description="Shop customer records as CDC history: one row per change.",
            source_system="shop",
            columns=(
                RawColumn("customer_id", "BIGINT", "Shop customer id; null on orphan rows"),
                RawColumn("email", "VARCHAR", "Email as typed; may be null on an update"),
                RawColumn("phone", "VARCHAR", "E.164 phone number, often null"),
                RawColumn("first_name", "VARCHAR", "First name"),
                RawColumn("country", "VARCHAR", "ISO 3166-1 alpha-2 country, sometimes null"),
                RawColumn("created_at", "TIMESTAMP", "Account creation (store-local)"),
                RawColumn("updated_at", "TIMESTAMP", "Time of this change (store-local)"),
                _loaded_at(),
            ),
            key=("customer_id", "updated_at"),
            zone_setting=SHOP_TIMEZONE,
        ),
        RawTable(
            name="orders",
            description="Shop orders, one row per order.",
            source_system="shop",
            columns=(
                RawColumn("order_id", "BIGINT", "Shop order id"),
                RawColumn("customer_id", "BIGINT", "Buyer's shop customer id"),
                RawColumn("placed_at", "TIMESTAMP", "Checkout time (store-local)"),
                RawColumn("status", "VARCHAR", "'placed' or 'cancelled'"),
                RawColumn("currency", "VARCHAR", "ISO 4217 currency, mostly USD"),
                RawColumn("total_amount", "DECIMAL(12,2)", "Item subtotal minus discount"),
                RawColumn("discount_amount", "DECIMAL(12,2)", "Order-level discount, 0 if none"),
                _loaded_at(),
            ),
            key=("order_id",),
            zone_setting=SHOP_TIMEZONE,
        ),
        RawTable(
            name="order_items",
            description="Shop order lines.",
            source_system="shop",
            columns=(
                RawColumn("order_id", "BIGINT", "Order the line belongs to"),
                RawColumn("line_number", "INTEGER", "1-based line number within the order"),
                RawColumn("sku", "VARCHAR", "Stock keeping unit"),
                RawColumn("category", "VARCHAR", "Product category (raw.categories)"),
                RawColumn("quantity", "INTEGER", "Units bought"),
                RawColumn("unit_price", "DECIMAL(10,2)", "Price per unit before discount"),
                RawColumn("unit_cost", "DECIMAL(10,2)", "Landed cost per unit"),
                _loaded_at(),
            ),
            key=("order_id", "line_number"),
            zone_setting=SHOP_TIMEZONE,
        ),
        RawTable(
            name="refunds",
            description="Shop refunds; often land in the warehouse days after they happen.",
            source_system="shop",
            columns=(
                RawColumn("refund_id", "BIGINT", "Shop refund id"),
                RawColumn("order_id", "BIGINT", "Refunded order"),
                RawColumn("refunded_at", "TIMESTAMP", "Refund time (store-local)"),
                RawColumn("amount", "DECIMAL(12,2)", "Refunded amount, at most the order total"),
                RawColumn("reason", "VARCHAR", "Refund reason code"),
                _loaded_at(),
            ),
            key=("refund_id",),
            zone_setting=SHOP_TIMEZONE,
        ),
        RawTable(
            name="subscriptions",
            description="Subscription history: one row per change of a subscription.",
            source_system="subscriptions",
            columns=(
                RawColumn("subscription_id", "BIGINT", "Subscription id"),
                RawColumn("customer_id", "BIGINT", "Subscriber's shop customer id"),
                RawColumn("status", "VARCHAR", "'active', 'paused' or 'cancelled' after change"),
                RawColumn("started_at", "TIMESTAMP", "Subscription start (UTC)"),
                RawColumn("updated_at", "TIMESTAMP", "Time of this change (UTC)"),
                _loaded_at(),
            ),
            key=("subscription_id", "updated_at"),
            zone_setting=None,
        ),
        RawTable(
            name="support_tickets",
            description="Help-desk tickets, one row per ticket with its current status.",
            source_system="support",
            columns=(
                RawColumn("ticket_id", "BIGINT", "Ticket id"),
                RawColumn("customer_id", "BIGINT", "Requester's shop customer id"),
                RawColumn("opened_at", "TIMESTAMP", "Ticket creation (UTC)"),
                RawColumn("status", "VARCHAR", "'open' or 'solved'"),
                _loaded_at(),
            ),
            key=("ticket_id",),
            zone_setting=None,
        ),
        RawTable(
            name="web_sessions",
            description="Storefront sessions from web analytics.",
            source_system="web",
            columns=(
                RawColumn("session_id", "VARCHAR", "Analytics session id"),
                RawColumn("customer_id", "BIGINT", "Logged-in customer; null when anonymous"),
                RawColumn("started_at", "TIMESTAMP", "Session start (UTC)"),
                _loaded_at(),
            ),
            key=("session_id",),
            zone_setting=None,
        ),
        RawTable(
            name="loyalty_accounts",
            description="Loyalty program balances: one row per account update.",
            source_system="loyalty",
            columns=(
                RawColumn("customer_id", "BIGINT", "Member's shop customer id"),
                RawColumn("points_balance", "INTEGER", "Points after this update"),
                RawColumn("tier", "VARCHAR", "'bronze', 'silver', 'gold' or 'platinum'"),
                RawColumn("updated_at", "TIMESTAMP", "Time of this update (UTC)"),
                _loaded_at(),
            ),
            key=("customer_id", "updated_at"),
            zone_setting=None,
        ),
        RawTable(
            name="privacy_requests",
            description=(
                "Requests from the privacy tool (GDPR/CCPA): an access request asks for a copy"
                " of the data, an erasure request for its deletion. A form may be sent twice."
            ),
            source_system="privacy",
            columns=(
                RawColumn("request_id", "BIGINT", "Privacy request id"),
                RawColumn("customer_id", "BIGINT", "Requester's shop customer id"),
                RawColumn("request_type", "VARCHAR", "'erasure' or 'access'"),
                RawColumn("requested_at", "TIMESTAMP", "When the request was made (UTC)"),
                _loaded_at(),
            ),
            key=("request_id",),
            zone_setting=None,
        ),
        RawTable(
            name="categories",
            description="Reference data: product categories and how fast they run out.",
            source_system="reference",
            columns=(
                RawColumn("category", "VARCHAR", "Product category"),
                RawColumn("replenishment_days", "INTEGER", "Typical days until a re-purchase"),
            ),
            key=("category",),
            zone_setting=None,
        ),
    )
}


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def create_table_sql(table: RawTable) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for one raw table, in DuckDB types."""
    columns = ",\n".join(f"    {_quote(column.name)} {column.type}" for column in table.columns)
    return f"CREATE TABLE IF NOT EXISTS {_quote(RAW_SCHEMA)}.{_quote(table.name)} (\n{columns}\n);"


def create_raw_schema_sql() -> str:
    """DDL for the whole raw schema: idempotent, so it can run against an existing warehouse."""
    statements = [f"CREATE SCHEMA IF NOT EXISTS {_quote(RAW_SCHEMA)};"]
    statements += [create_table_sql(table) for table in RAW_TABLES.values()]
    return "\n".join(statements) + "\n"
