"""The README's main command: the whole pipeline on the embedded defaults, end to end.

It starts the local Customer.io sandbox, generates demo sources into the DuckDB file, runs
``retention_sync_job`` for the last days (models, checks, plans, sends) as a real Dagster run
recorded in ``.dagster_home`` (so ``dagster dev`` shows it afterwards), runs it a second time
to show that an unchanged warehouse sends nothing, and prints what reached Customer.io.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import warnings
from pathlib import Path

import dagster as dg
import httpx

from cio_sandbox.testing import SandboxHandle, running_sandbox
from resources.customerio.limits import APP_MAX_RPS
from resources.sql_files import package_sql
from resources.warehouse import DuckDBWarehouse
from retention_assets.partitions import RANGE_END_TAG, RANGE_START_TAG
from retention_assets.settings import (
    CUSTOMERIO_API_KEY,
    CUSTOMERIO_APP_API_KEY,
    CUSTOMERIO_APP_MAX_RPS,
    CUSTOMERIO_APP_URL,
    CUSTOMERIO_SITE_ID,
    CUSTOMERIO_TRACK_URL,
    PROJECT_ROOT,
    load_settings,
)
from retention_assets.sources.generator import generate_sources

DAGSTER_HOME = PROJECT_ROOT / ".dagster_home"
SANDBOX_STATE = PROJECT_ROOT / "data" / "sandbox_state.json"
SYNC_JOB = "retention_sync_job"
# App API requests/s of the demo's sandbox (Customer.io allows 10): fast enough that the first
# identity plan of 5,000 customers takes seconds.
SANDBOX_APP_RPS = 500.0
# A run still STARTED after this long is failed by the daemon's run monitoring: with the local
# run launcher (no worker health check) that is how a run whose process was killed ends.
MAX_RUN_SECONDS = 6 * 3600
# One embedded DuckDB file takes one writer at a time, so runs launched from the UI queue
# instead of failing on the file lock. Run monitoring (docs/deployment.md) fails runs that
# never start, cancellations that hang, and runs past MAX_RUN_SECONDS.
INSTANCE_CONFIG = f"""\
telemetry:
  enabled: false
run_queue:
  max_concurrent_runs: 1
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  cancel_timeout_seconds: 180
  max_runtime_seconds: {MAX_RUN_SECONDS}
  poll_interval_seconds: 30
"""
# What earlier versions wrote: replaced by the current config, which only adds to it.
INSTANCE_CONFIGS_BEFORE = (
    """\
telemetry:
  enabled: false
run_queue:
  max_concurrent_runs: 1
""",
)


def instance_home() -> Path:
    """The Dagster instance directory: DAGSTER_HOME if set, else the project's ``.dagster_home``."""
    return Path(os.environ.get("DAGSTER_HOME") or DAGSTER_HOME)


def prepare_instance(home: Path) -> None:
    """Create an instance directory with this project's instance settings, unless it has some
    of its own (a config this project wrote before is brought up to date)."""
    home.mkdir(parents=True, exist_ok=True)
    instance_config = home / "dagster.yaml"
    if not instance_config.exists() or instance_config.read_text() in INSTANCE_CONFIGS_BEFORE:
        instance_config.write_text(INSTANCE_CONFIG)


def customerio_env(sandbox: SandboxHandle) -> dict[str, str]:
    """The CUSTOMERIO_* settings that point the sync at a running sandbox.

    The App API rate follows the sandbox's: Customer.io's 10/s unless the sandbox was
    started faster (``SANDBOX_APP_RPS``) or without a limit, so that the shop's first
    identity plan reads its thousands of customers in seconds, not minutes.
    """
    env = {
        CUSTOMERIO_SITE_ID: sandbox.site_id,
        CUSTOMERIO_API_KEY: sandbox.api_key,
        CUSTOMERIO_APP_API_KEY: sandbox.app_api_key,
        CUSTOMERIO_TRACK_URL: sandbox.url,
        CUSTOMERIO_APP_URL: sandbox.url,
    }
    limit = float(sandbox.config()["app_rate_limit"])
    if limit == 0 or limit > APP_MAX_RPS:
        env[CUSTOMERIO_APP_MAX_RPS] = f"{limit or SANDBOX_APP_RPS:g}"
    return env


def seed_signup_profiles(sandbox: SandboxHandle, warehouse: DuckDBWarehouse) -> int:
    """Email-only profiles a signup form wrote before this pipeline ran, for some customers;
    how many. The first sync's identity plan adopts them: each takes its customer's id, and
    Customer.io holds no duplicate (docs/identity.md)."""
    with warehouse.session() as session:
        emails = [row[0] for row in session.fetch_all(package_sql("tools", "signup_profiles.sql"))]
    entries = [
        {
            "type": "person",
            "identifiers": {"email": email},
            "action": "identify",
            "attributes": {"source": "signup form"},
        }
        for email in emails
    ]
    if entries:
        response = httpx.post(
            f"{sandbox.url}/api/v2/batch", json={"batch": entries}, auth=sandbox.track_auth
        )
        response.raise_for_status()
    return len(entries)


def is_built(home: Path) -> bool:
    """Whether the demo has run to the end: the sandbox state and a successful sync run exist."""
    if not (SANDBOX_STATE.exists() and load_settings().duckdb_path.exists()):
        return False
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs_count(
            dg.RunsFilter(job_name=SYNC_JOB, statuses=[dg.DagsterRunStatus.SUCCESS])
        )
    return runs > 0


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--history-days", type=int, default=180, help="days of source history")
    parser.add_argument("--sync-days", type=int, default=14, help="partitions in the first run")
    parser.add_argument("--latency-ms", type=int, default=0, help="sandbox latency per request")
    return parser.parse_args(argv)


def run_days(
    job: dg.JobDefinition, instance: dg.DagsterInstance, start: dt.date, end: dt.date
) -> dict[str, dict]:
    """One run of ``job`` over the days; each materialised asset's metadata, in the order the
    run materialised them."""
    result = job.execute_in_process(
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        instance=instance,
        tags={RANGE_START_TAG: start.isoformat(), RANGE_END_TAG: end.isoformat()},
    )
    metadata: dict[str, dict] = {}
    for event in result.get_asset_materialization_events():
        materialization = event.materialization
        assert materialization is not None
        metadata[materialization.asset_key.to_user_string()] = {
            name: value.value for name, value in materialization.metadata.items()
        }
    return metadata


def _print_sync(title: str, metadata: dict[str, dict]) -> None:
    print(f"\n{title}")
    for key in sorted(k for k in metadata if k.endswith("_identity_plan")):
        numbers = metadata[key]
        outcomes = ", ".join(
            f"{outcome} {numbers.get(f'{outcome}_profiles', 0):,}"
            for outcome in ("new", "known", "adopt", "merge", "conflict")
        )
        print(f"  {key:<26} {outcomes}")
    sends = sorted(k for k in metadata if k.startswith("cio_sync/") and not k.endswith("_plan"))
    for key in sends:
        numbers = metadata[key]
        print(
            f"  {key:<26} accepted {numbers.get('accepted', 0):>7,}  rejected"
            f" {numbers.get('rejected', 0):>4,}  skipped {numbers.get('skipped', 0):>5,}"
            f"  requests {numbers.get('requests', 0):>4,}  {numbers.get('rows_per_second', 0):>9,}"
            " rows/s"
        )


def _ledger_schemas() -> list[str]:
    """The warehouse schemas of every declared sync's plans, ledgers and rejected rows."""
    from retention_assets.components import CustomerIOSync
    from retention_assets.definitions import sync_tree

    tree = sync_tree()
    return sorted({sync.spec.ledger for sync in tree.get_all_components(of_type=CustomerIOSync)})


def _forget_what_was_synced(warehouse: DuckDBWarehouse) -> None:
    """Drop the ledgers of every declared sync: the sandbox starts empty, so must they.

    A second ``make demo`` would otherwise plan against ledgers that say the fresh sandbox
    already holds everything, and send nothing.
    """
    with warehouse.session() as session:
        for schema in _ledger_schemas():
            session.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def open_rejections(warehouse: DuckDBWarehouse) -> list[tuple[str, str, int]]:
    """(sync, reason, rows) of every rejected row no later run has resolved, over all syncs."""
    with warehouse.session() as session:
        return [
            (stream, reason, rows)
            for schema in _ledger_schemas()
            for stream, reason, rows in session.fetch_all(
                f'SELECT stream, reason, count(*) FROM "{schema}".rejected_rows'
                " WHERE resolved_at IS NULL GROUP BY ALL ORDER BY ALL"
            )
        ]


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    warnings.filterwarnings("ignore", category=dg.PreviewWarning)
    home = instance_home()
    prepare_instance(home)
    os.environ["DAGSTER_HOME"] = str(home)
    settings = load_settings()
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    first_day = yesterday - dt.timedelta(days=args.sync_days - 1)

    warehouse = DuckDBWarehouse(
        database=str(settings.duckdb_path), sync_memory_limit=settings.duckdb_sync_memory_limit
    )
    with warehouse.session() as session:
        summary = generate_sources(
            session.connection,
            customers=args.customers,
            days=args.history_days,
            end_date=yesterday,
            shop_timezone=settings.shop_timezone,
        )
    print(
        f"generated {summary.customers:,} customers, {sum(summary.row_counts.values()):,} raw"
        f" rows in {summary.seconds:.1f} s into {settings.duckdb_path}"
    )

    SANDBOX_STATE.parent.mkdir(parents=True, exist_ok=True)
    SANDBOX_STATE.unlink(missing_ok=True)
    with running_sandbox(
        latency_ms=args.latency_ms, state_file=SANDBOX_STATE, app_rate_limit=SANDBOX_APP_RPS
    ) as sandbox:
        os.environ.update(customerio_env(sandbox))
        # Imported here: the definitions bind resources from the environment set above.
        from retention_assets.definitions import defs

        _forget_what_was_synced(warehouse)
        seeded = seed_signup_profiles(sandbox, warehouse)
        print(f"Customer.io starts with {seeded:,} email-only profiles from the signup form")
        job = defs.resolve_job_def(SYNC_JOB)
        print(f"running {SYNC_JOB} for {first_day} .. {yesterday} (one run)")
        instance = dg.DagsterInstance.get()
        _print_sync("first run", run_days(job, instance, first_day, yesterday))
        _print_sync("second run (nothing changed)", run_days(job, instance, first_day, yesterday))
        stats = sandbox.stats()
        people, events, objects = sandbox.people(), sandbox.events(), sandbox.objects()
        relationships, segments = sandbox.relationships(), sandbox.segments()
        suppressed = len(sandbox.suppressions())
        rejected = open_rejections(warehouse)

    print(
        f"\nCustomer.io sandbox now holds {len(people):,} profiles, {len(events):,} events,"
        f" {len(objects):,} objects and {len(relationships):,} relationships;"
        f" {suppressed:,} ids suppressed (erasure requests)"
    )
    for segment, members in sorted(segments.items()):
        print(f"  segment {segment!r}: {len(members):,} members")
    names: dict[str, int] = {}
    for event in events:
        names[event["name"]] = names.get(event["name"], 0) + 1
    for name, count in sorted(names.items()):
        print(f"  {name:<36} {count:>7,}")
    print(f"  requests by status: {stats.get('requests_by_status')}")
    print(f"rejected rows open: {rejected or 'none'}")
    sample = next(iter(people.items()), None)
    if sample:
        print(f"a profile: {sample[0]} {sample[1]}")
    print("\nbrowse it: make ui   (Dagster UI with this run, lineage and checks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
