"""Switching to Snowflake: the resource the environment binds, its secrets, and the definitions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import dagster as dg
import pytest
from dagster_snowflake import SnowflakeResource

from resources.snowflake import SnowflakeWarehouse
from retention_assets.bindings import snowflake_warehouse, warehouse_from_settings
from retention_assets.settings import SettingsError, load_settings

SNOWFLAKE_ENV = {
    "SNOWFLAKE_ACCOUNT": "acme-eu1",
    "SNOWFLAKE_USER": "retention_pipeline",
    "SNOWFLAKE_PASSWORD": "hunter2-password",
    "SNOWFLAKE_DATABASE": "ANALYTICS",
    "SNOWFLAKE_SCHEMA": "RETENTION_SESSION",
    "SNOWFLAKE_WAREHOUSE": "TRANSFORMING",
    "SNOWFLAKE_ROLE": "RETENTION",
}


def test_retention_warehouse_snowflake_binds_the_snowflake_resource_from_env_vars() -> None:
    settings = load_settings(
        {"RETENTION_WAREHOUSE": "snowflake", "RETENTION_SNOWFLAKE_RAW_SCHEMA": "FIVETRAN.SHOP"}
    )

    warehouse = warehouse_from_settings(settings)

    assert isinstance(warehouse, SnowflakeWarehouse)
    assert warehouse.raw_location == "FIVETRAN.SHOP"
    snowflake = warehouse.snowflake
    # Every value is read by Dagster when a run starts, from the variable named here.
    assert snowflake.account == dg.EnvVar("SNOWFLAKE_ACCOUNT")
    assert snowflake.password == dg.EnvVar("SNOWFLAKE_PASSWORD")
    assert snowflake.schema_ == dg.EnvVar("SNOWFLAKE_SCHEMA")
    assert (snowflake.role, snowflake.warehouse, snowflake.private_key) == (None, None, None)
    assert snowflake.timezone == "UTC"


def test_key_pair_authentication_takes_precedence_over_the_password() -> None:
    names = ("SNOWFLAKE_PRIVATE_KEY", "SNOWFLAKE_PRIVATE_KEY_PASSWORD", "SNOWFLAKE_ROLE")

    snowflake = snowflake_warehouse(load_settings(dict.fromkeys(names, "set"))).snowflake

    assert snowflake.private_key == dg.EnvVar("SNOWFLAKE_PRIVATE_KEY")
    assert snowflake.private_key_password == dg.EnvVar("SNOWFLAKE_PRIVATE_KEY_PASSWORD")
    assert snowflake.password is None
    assert snowflake.role == dg.EnvVar("SNOWFLAKE_ROLE")


def test_secrets_never_show_in_the_resource_repr() -> None:
    warehouse = SnowflakeWarehouse(
        snowflake=SnowflakeResource(
            account="acme", user="me", password="hunter2-password", timezone="UTC"
        )
    )
    for text in (repr(warehouse), str(warehouse)):
        assert "hunter2" not in text
        assert "account='acme'" in text


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"paramstyle": "qmark", "timezone": "UTC"}, "binds parameters client-side"),
        ({}, "timezone='UTC'"),
    ],
)
def test_a_connection_the_sql_cannot_run_on_is_refused(settings: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SnowflakeWarehouse(
            snowflake=SnowflakeResource(account="a", user="u", password="p", **settings)
        )


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("RETENTION_SYNC_SHARDS", "0", "RETENTION_SYNC_SHARDS must be a whole number from 1"),
        ("RETENTION_SYNC_SHARDS", "many", "RETENTION_SYNC_SHARDS must be a whole number from 1"),
        ("RETENTION_SNOWFLAKE_RAW_SCHEMA", "a.b.c", "must be SCHEMA or DATABASE.SCHEMA"),
    ],
)
def test_bad_snowflake_and_shard_settings_fail_by_name(
    variable: str, value: str, message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings({variable: value})


# The definitions read the settings when they are imported: load them in a fresh interpreter.
DESCRIBE_DEFINITIONS = textwrap.dedent(
    """
    import json
    import dagster as dg
    from retention_assets.definitions import defs
    dg.Definitions.validate_loadable(defs)
    specs = {s.key.to_user_string(): s for s in defs.resolve_all_asset_specs()}
    sync = defs.resolve_assets_def(dg.AssetKey(["cio_sync", "customer_state"]))
    print(json.dumps({
        "kinds": {key: sorted(spec.kinds) for key, spec in specs.items()},
        "warehouse": type(defs.resources["warehouse"]).__name__,
        "sync_ops": sorted(node.name for node in getattr(sync.node_def, "nodes", [])),
    }))
    """
)


def test_snowflake_and_shards_switch_the_definitions() -> None:
    env = {**os.environ, **SNOWFLAKE_ENV, "RETENTION_WAREHOUSE": "snowflake"}
    env["RETENTION_SYNC_SHARDS"] = "2"
    described = subprocess.run(
        [sys.executable, "-c", DESCRIBE_DEFINITIONS],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    definitions = json.loads(described.stdout.strip().splitlines()[-1])

    assert definitions["warehouse"] == "SnowflakeWarehouse"
    kinds = definitions["kinds"]
    assert kinds["retention_customer_state"] == ["snowflake", "sql"]
    assert kinds["retention_events"] == ["snowflake", "sql"]
    assert kinds["raw/customers"] == ["snowflake"]
    assert kinds["cio_sync/customer_state_plan"] == ["customerio", "snowflake"]
    assert kinds["cio_sync/customer_state"] == ["customerio"]
    assert definitions["sync_ops"] == [
        "customer_state_send_shard_1_of_2",
        "customer_state_send_shard_2_of_2",
        "customer_state_send_summary",
    ]
    # The secret was in the environment, never in what the definitions show.
    assert SNOWFLAKE_ENV["SNOWFLAKE_PASSWORD"] not in described.stdout + described.stderr
