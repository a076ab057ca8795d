"""Project settings read from the environment: the one module that reads it.

The variable names are a public contract (see docs and ``shared/design.md``): users and tests
set them, so they are declared once here and nowhere else. Secrets are not read here; they
go to resources through ``dg.EnvVar`` so Dagster never shows their values (only whether a
secret is set is read, to choose between optional configurations). The resources themselves
read nothing: ``retention_assets.bindings`` hands them these values.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from resources.customerio.errors import CustomerIOConfigError
from resources.customerio.urls import checked_base_url, normalise_region
from resources.dialect import DEFAULT_RAW_LOCATION, valid_raw_location
from resources.warehouse import DEFAULT_DUCKDB_SYNC_MEMORY_LIMIT

PROJECT_ROOT = Path(__file__).resolve().parent.parent

WAREHOUSE = "RETENTION_WAREHOUSE"
DUCKDB_PATH = "RETENTION_DUCKDB_PATH"
DUCKDB_SYNC_MEMORY_LIMIT = "RETENTION_DUCKDB_SYNC_MEMORY_LIMIT"
PARTITIONS_START = "RETENTION_PARTITIONS_START"
SHOP_TIMEZONE = "RETENTION_SHOP_TIMEZONE"
SNOWFLAKE_RAW_LOCATION = "RETENTION_SNOWFLAKE_RAW_SCHEMA"
SYNC_SHARDS = "RETENTION_SYNC_SHARDS"
FULL_SAMPLES = "RETENTION_FULL_SAMPLES"

# Where the UI's source links point: the repository's web URL and branch (both, or local files).
SOURCE_GIT_URL = "RETENTION_SOURCE_GIT_URL"
SOURCE_GIT_BRANCH = "RETENTION_SOURCE_GIT_BRANCH"

# Customer.io, the workspace the deployment writes to. The site id and keys are secrets.
CUSTOMERIO_SITE_ID = "CUSTOMERIO_SITE_ID"
CUSTOMERIO_API_KEY = "CUSTOMERIO_API_KEY"
CUSTOMERIO_APP_API_KEY = "CUSTOMERIO_APP_API_KEY"
CUSTOMERIO_REGION = "CUSTOMERIO_REGION"
CUSTOMERIO_TRACK_URL = "CUSTOMERIO_TRACK_URL"
CUSTOMERIO_APP_URL = "CUSTOMERIO_APP_URL"
CUSTOMERIO_MAX_RPS = "CUSTOMERIO_MAX_RPS"
CUSTOMERIO_APP_MAX_RPS = "CUSTOMERIO_APP_MAX_RPS"
CUSTOMERIO_CONCURRENCY = "CUSTOMERIO_CONCURRENCY"

# Snowflake's connection (RETENTION_WAREHOUSE=snowflake): every value reaches the resource as
# a dg.EnvVar, resolved when a run starts.
SNOWFLAKE_ACCOUNT = "SNOWFLAKE_ACCOUNT"
SNOWFLAKE_USER = "SNOWFLAKE_USER"
SNOWFLAKE_PASSWORD = "SNOWFLAKE_PASSWORD"
SNOWFLAKE_PRIVATE_KEY = "SNOWFLAKE_PRIVATE_KEY"
SNOWFLAKE_PRIVATE_KEY_PATH = "SNOWFLAKE_PRIVATE_KEY_PATH"
SNOWFLAKE_PRIVATE_KEY_PASSWORD = "SNOWFLAKE_PRIVATE_KEY_PASSWORD"
SNOWFLAKE_DATABASE = "SNOWFLAKE_DATABASE"
SNOWFLAKE_SCHEMA = "SNOWFLAKE_SCHEMA"
SNOWFLAKE_WAREHOUSE = "SNOWFLAKE_WAREHOUSE"
SNOWFLAKE_ROLE = "SNOWFLAKE_ROLE"
# The ones whose presence picks an optional configuration (key pair, role, warehouse).
SNOWFLAKE_OPTIONAL = (
    SNOWFLAKE_PRIVATE_KEY,
    SNOWFLAKE_PRIVATE_KEY_PATH,
    SNOWFLAKE_PRIVATE_KEY_PASSWORD,
    SNOWFLAKE_WAREHOUSE,
    SNOWFLAKE_ROLE,
)

# Alerts (retention_assets.alerts). The Slack token and the webhook URL are secrets.
ALERT_WEBHOOK_URL = "RETENTION_ALERT_WEBHOOK_URL"
SLACK_BOT_TOKEN = "SLACK_BOT_TOKEN"
SLACK_CHANNEL = "RETENTION_SLACK_CHANNEL"
UI_BASE_URL = "RETENTION_UI_BASE_URL"
DEFAULT_UI_BASE_URL = "http://127.0.0.1:3000"

DEFAULT_DUCKDB_PATH = PROJECT_ROOT / "data" / "warehouse.duckdb"
# DuckDB names a file's catalog after its stem; a stem equal to a schema name makes every
# reference to that schema ambiguous.
RESERVED_DUCKDB_STEMS = ("raw", "retention", "cio_sync", "main", "temp", "system")
# A DuckDB memory size: a number and a unit, as DuckDB reads them ("384MB", "4GB", "1.5GiB").
_MEMORY_SIZE = re.compile(r"\d+(\.\d+)?\s*([KMGT]i?B|B)", re.IGNORECASE)
DEFAULT_PARTITIONS_START = "2025-01-01"
DEFAULT_SHOP_TIMEZONE = "America/New_York"
SUPPORTED_WAREHOUSES = ("duckdb", "snowflake")
# More shards than this would split the workspace's request rate into slivers per step.
MAX_SYNC_SHARDS = 64
_Number = TypeVar("_Number", int, float)
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


class SettingsError(ValueError):
    """A configuration variable holds a value the project cannot use."""


@dataclass(frozen=True)
class CustomerIOSettings:
    """The workspace's non-secret configuration; ``None`` keeps the resource's default."""

    region: str | None = None
    track_url: str | None = None
    app_url: str | None = None
    max_rps: float | None = None
    concurrency: int | None = None
    # Above Customer.io's 10/s only for a local emulator (the resource refuses it otherwise).
    app_max_rps: float | None = None
    # The App API key is optional (read-back only): whether it is set, never its value.
    app_api_key_set: bool = False


@dataclass(frozen=True)
class WorkspaceEnv:
    """The names of the environment variables that configure one Customer.io workspace.

    The defaults are the project's own; a sync spec names others for a second workspace.
    """

    site_id: str = CUSTOMERIO_SITE_ID
    api_key: str = CUSTOMERIO_API_KEY
    app_api_key: str | None = CUSTOMERIO_APP_API_KEY
    region: str = CUSTOMERIO_REGION
    track_url: str | None = CUSTOMERIO_TRACK_URL
    app_url: str | None = CUSTOMERIO_APP_URL


DEFAULT_WORKSPACE_ENV = WorkspaceEnv()


@dataclass(frozen=True)
class AlertSettings:
    """Where alerts link to and go; the Slack token and webhook URL stay ``dg.EnvVar``."""

    ui_base_url: str = DEFAULT_UI_BASE_URL
    slack_channel: str | None = None
    slack_token_set: bool = False


@dataclass(frozen=True)
class Settings:
    warehouse: str
    duckdb_path: Path
    duckdb_sync_memory_limit: str
    partitions_start: str
    shop_timezone: str
    snowflake_raw_location: str
    sync_shards: int
    # Emails in asset and check metadata are masked unless this is on (retention_assets.privacy).
    full_samples: bool
    customerio: CustomerIOSettings
    # Which of SNOWFLAKE_OPTIONAL are set (not their values).
    snowflake_set: frozenset[str]
    alerts: AlertSettings
    # Both set or both None (links then open the local files).
    source_git_url: str | None = None
    source_git_branch: str | None = None


def _valid_date(name: str, value: str) -> str:
    try:
        dt.date.fromisoformat(value)
    except ValueError as error:
        raise SettingsError(f"{name} must be a date as YYYY-MM-DD, got {value!r}") from error
    return value


def _valid_zone(name: str, value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise SettingsError(f"{name} must be an IANA time zone name, got {value!r}") from error
    return value


def _valid_duckdb_path(name: str, value: str) -> Path:
    path = Path(value)
    if path.stem.lower() in RESERVED_DUCKDB_STEMS:
        raise SettingsError(
            f"{name} must not be named after a schema ({', '.join(RESERVED_DUCKDB_STEMS)}):"
            f" got {value!r}; DuckDB would name its catalog {path.stem!r} too"
        )
    return path


def _valid_memory_size(name: str, value: str) -> str:
    if not _MEMORY_SIZE.fullmatch(value.strip()):
        raise SettingsError(f"{name} must be a size such as 384MB or 4GB, got {value!r}")
    return value.strip()


def _valid_raw_location(name: str, value: str) -> str:
    try:
        return valid_raw_location(value)
    except ValueError as error:
        raise SettingsError(f"{name} must be SCHEMA or DATABASE.SCHEMA, got {value!r}") from error


def _valid_shards(name: str, value: str) -> int:
    try:
        shards = int(value)
    except ValueError:
        shards = 0
    if not 1 <= shards <= MAX_SYNC_SHARDS:
        raise SettingsError(
            f"{name} must be a whole number from 1 to {MAX_SYNC_SHARDS}, got {value!r}"
        )
    return shards


def _valid_flag(name: str, value: str) -> bool:
    flag = value.strip().lower()
    if flag not in (*_TRUE, *_FALSE):
        raise SettingsError(f"{name} must be true or false, got {value!r}")
    return flag in _TRUE


def _text(env: Mapping[str, str], name: str) -> str | None:
    return env.get(name, "").strip() or None


def _valid_region(name: str, value: str | None) -> str | None:
    try:
        return None if value is None else normalise_region(value)
    except CustomerIOConfigError as error:
        raise SettingsError(f"{name}: {error}") from None


def _valid_url(name: str, value: str | None) -> str | None:
    try:
        return None if value is None else checked_base_url(value)
    except CustomerIOConfigError as error:
        # The error names the host with any credentials masked; the URL itself is not shown.
        raise SettingsError(f"{name}: {error}") from None


def _valid_number(name: str, value: str | None, kind: Callable[[str], _Number]) -> _Number | None:
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {value!r}") from None


def _customerio_settings(
    env: Mapping[str, str], names: WorkspaceEnv = DEFAULT_WORKSPACE_ENV
) -> CustomerIOSettings:
    def optional(name: str | None) -> str | None:
        return None if name is None else _text(env, name)

    return CustomerIOSettings(
        region=_valid_region(names.region, _text(env, names.region)),
        track_url=_valid_url(names.track_url or "", optional(names.track_url)),
        app_url=_valid_url(names.app_url or "", optional(names.app_url)),
        # The deployment's request budget applies to every workspace it syncs.
        max_rps=_valid_number(CUSTOMERIO_MAX_RPS, _text(env, CUSTOMERIO_MAX_RPS), float),
        concurrency=_valid_number(CUSTOMERIO_CONCURRENCY, _text(env, CUSTOMERIO_CONCURRENCY), int),
        app_max_rps=_valid_number(
            CUSTOMERIO_APP_MAX_RPS, _text(env, CUSTOMERIO_APP_MAX_RPS), float
        ),
        app_api_key_set=optional(names.app_api_key) is not None,
    )


def workspace_settings(
    names: WorkspaceEnv, environ: Mapping[str, str] | None = None
) -> CustomerIOSettings:
    """The non-secret configuration of the workspace whose variables ``names`` lists."""
    return _customerio_settings(os.environ if environ is None else environ, names)


def _alert_settings(env: Mapping[str, str]) -> AlertSettings:
    return AlertSettings(
        ui_base_url=(_text(env, UI_BASE_URL) or DEFAULT_UI_BASE_URL).rstrip("/"),
        slack_channel=_text(env, SLACK_CHANNEL),
        slack_token_set=_text(env, SLACK_BOT_TOKEN) is not None,
    )


def _source_git(env: Mapping[str, str]) -> dict[str, str | None]:
    url, branch = _text(env, SOURCE_GIT_URL), _text(env, SOURCE_GIT_BRANCH)
    if (url is None) != (branch is None):
        raise SettingsError(
            f"set both {SOURCE_GIT_URL} and {SOURCE_GIT_BRANCH} for source links to the"
            " repository, or neither for links to the local files"
        )
    if url is not None and not url.startswith("https://"):
        raise SettingsError(f"{SOURCE_GIT_URL} must be an https:// URL, got {url!r}")
    return {"source_git_url": url, "source_git_branch": branch}


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the project's settings, failing with the variable's name on bad input."""
    env = os.environ if environ is None else environ
    warehouse = env.get(WAREHOUSE, "duckdb").strip().lower() or "duckdb"
    if warehouse not in SUPPORTED_WAREHOUSES:
        raise SettingsError(f"{WAREHOUSE} must be one of {SUPPORTED_WAREHOUSES}, got {warehouse!r}")
    return Settings(
        warehouse=warehouse,
        duckdb_path=_valid_duckdb_path(
            DUCKDB_PATH, env.get(DUCKDB_PATH) or str(DEFAULT_DUCKDB_PATH)
        ),
        duckdb_sync_memory_limit=_valid_memory_size(
            DUCKDB_SYNC_MEMORY_LIMIT,
            env.get(DUCKDB_SYNC_MEMORY_LIMIT) or DEFAULT_DUCKDB_SYNC_MEMORY_LIMIT,
        ),
        partitions_start=_valid_date(
            PARTITIONS_START, env.get(PARTITIONS_START) or DEFAULT_PARTITIONS_START
        ),
        shop_timezone=_valid_zone(SHOP_TIMEZONE, env.get(SHOP_TIMEZONE) or DEFAULT_SHOP_TIMEZONE),
        snowflake_raw_location=_valid_raw_location(
            SNOWFLAKE_RAW_LOCATION,
            env.get(SNOWFLAKE_RAW_LOCATION) or DEFAULT_RAW_LOCATION,
        ),
        sync_shards=_valid_shards(SYNC_SHARDS, env.get(SYNC_SHARDS) or "1"),
        full_samples=_valid_flag(FULL_SAMPLES, env.get(FULL_SAMPLES) or "false"),
        customerio=_customerio_settings(env),
        snowflake_set=frozenset(name for name in SNOWFLAKE_OPTIONAL if _text(env, name)),
        alerts=_alert_settings(env),
        **_source_git(env),
    )


def warehouse_kind() -> str:
    """The Dagster kind of the configured warehouse (``duckdb`` or ``snowflake``).

    Asset definitions tag themselves with it, so the UI shows the warehouse they run in.
    """
    return load_settings().warehouse
