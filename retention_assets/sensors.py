"""Sensors that tell people when the retention pipeline needs them.

* ``retention_check_failure_alerts`` reports every failed asset check, ERROR and WARN, once.
  A run's check results are final when the run ends, so the sensor follows run-end records
  (success, failure, cancellation) with ``instance.fetch_run_status_changes`` and its opaque
  cursor, then reads the run's ``ASSET_CHECK_EVALUATION`` events. It does not scan the event log
  for evaluations directly: on the default SQLite storage the event log is sharded per run, so
  a global storage-id cursor over evaluations does not exist (``get_event_records`` rejects
  one), and ``DagsterInstance.get_event_records`` is deprecated in Dagster 1.13. Run-end
  records are indexed across runs on every storage. On its first tick the sensor looks back
  ``FIRST_TICK_LOOKBACK`` only, so turning it on does not replay history.
* ``retention_run_failure_alerts`` (a ``@run_failure_sensor``) reports every failed run of
  any job in this code location — the sync jobs, and the implicit asset job that runs
  materialisations launched from the UI — naming the checks that failed in it.
* ``retention_freshness_checks`` evaluates the models' freshness checks once a day after their
  deadline (``asset_checks.model_checks.freshness_checks``); their failures then reach the
  first sensor.

Both alert sensors need the ``slack`` resource: ``ALERT_RESOURCES`` binds it to dagster-slack
when Slack is configured and to ``None`` otherwise.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any, Final, Literal, TypeAlias

import dagster as dg
from dagster_slack import SlackResource

from asset_checks import FRESHNESS_CHECKS
from asset_checks.model_checks import FRESHNESS_DEADLINE, due_partition, utc_now
from retention_assets.alerts import (
    Alert,
    AlertChannels,
    check_failure_alert,
    deliver,
    run_failure_alert,
    slack_resource,
)
from retention_assets.settings import load_settings

CHECK_ALERTS_SENSOR: Final = "retention_check_failure_alerts"
RUN_FAILURE_SENSOR: Final = "retention_run_failure_alerts"
FRESHNESS_SENSOR: Final = "retention_freshness_checks"

# The run status events that end a run (a subset of what fetch_run_status_changes accepts).
FinishedRunEvent: TypeAlias = Literal[
    dg.DagsterEventType.RUN_SUCCESS,
    dg.DagsterEventType.RUN_FAILURE,
    dg.DagsterEventType.RUN_CANCELED,
]
FINISHED_RUN_EVENTS: Final[tuple[FinishedRunEvent, ...]] = (
    dg.DagsterEventType.RUN_SUCCESS,
    dg.DagsterEventType.RUN_FAILURE,
    dg.DagsterEventType.RUN_CANCELED,
)
RUNS_PER_TICK: Final = 100
FIRST_TICK_LOOKBACK: Final = dt.timedelta(hours=1)
ALERT_INTERVAL_SECONDS: Final = 60
FRESHNESS_INTERVAL_SECONDS: Final = 300


def failed_check_evaluations(
    instance: dg.DagsterInstance, run_id: str
) -> list[dg.AssetCheckEvaluation]:
    """The check evaluations of one run that did not pass, in the order they happened."""
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    evaluations = []
    for record in records:
        event = record.event_log_entry.dagster_event
        if event is not None and not event.asset_check_evaluation_data.passed:
            evaluations.append(event.asset_check_evaluation_data)
    return evaluations


def planned_assets(instance: dg.DagsterInstance, run_id: str) -> list[dg.AssetKey]:
    """The assets a run set out to materialise (the run's asset selection may be unset)."""
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED
    ).records
    return [
        record.event_log_entry.dagster_event.asset_key
        for record in records
        if record.event_log_entry.dagster_event is not None
        and record.event_log_entry.dagster_event.asset_key is not None
    ]


def _finished_runs(
    instance: dg.DagsterInstance, event_type: FinishedRunEvent, cursor: str | None
) -> dg.EventRecordsResult:
    if cursor is not None:
        return instance.fetch_run_status_changes(
            event_type, limit=RUNS_PER_TICK, cursor=cursor, ascending=True
        )
    since = time.time() - FIRST_TICK_LOOKBACK.total_seconds()
    return instance.fetch_run_status_changes(
        dg.RunStatusChangeRecordsFilter(event_type, after_timestamp=since),
        limit=RUNS_PER_TICK,
        ascending=True,
    )


@dg.sensor(
    name=CHECK_ALERTS_SENSOR,
    minimum_interval_seconds=ALERT_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Alerts once for every failed asset check (ERROR and WARN), to the Dagster log, and to "
        "Slack and the alert webhook when configured. Reads each run's checks when it ends."
    ),
)
def check_failure_alerts(
    context: dg.SensorEvaluationContext, slack: dg.ResourceParam[SlackResource | None]
) -> dg.SensorResult:
    cursors: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    # Read at every tick: the alert settings may change without a reload of the code.
    settings = load_settings().alerts
    alerts: list[Alert] = []
    runs = 0
    for event_type in FINISHED_RUN_EVENTS:
        result = _finished_runs(context.instance, event_type, cursors.get(event_type.value))
        for record in result.records:
            run = context.instance.get_run_by_id(record.run_id)
            if run is None:
                continue
            runs += 1
            alerts.extend(
                check_failure_alert(evaluation, run, settings.ui_base_url)
                for evaluation in failed_check_evaluations(context.instance, run.run_id)
            )
        # An empty result's cursor points at the start of the log: keep the old one.
        if result.records:
            cursors[event_type.value] = result.cursor
    deliver(alerts, AlertChannels.configured(slack, settings), context.log)
    return dg.SensorResult(
        cursor=json.dumps(cursors, sort_keys=True),
        skip_reason=f"{len(alerts)} failed check(s) alerted from {runs} finished run(s).",
    )


@dg.run_failure_sensor(
    name=RUN_FAILURE_SENSOR,
    minimum_interval_seconds=ALERT_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Alerts once for every failed run of a job in this code location (syncs, model "
        "builds, UI materialisations), naming the checks that failed in it."
    ),
)
def run_failure_alerts(
    context: dg.RunFailureSensorContext, slack: dg.ResourceParam[SlackResource | None]
) -> None:
    run = context.dagster_run
    failed_checks = failed_check_evaluations(context.instance, run.run_id)
    assets = [*planned_assets(context.instance, run.run_id)]
    assets.extend(evaluation.asset_key for evaluation in failed_checks)
    settings = load_settings().alerts
    alert = run_failure_alert(
        run, context.failure_event.message or "", assets, failed_checks, settings.ui_base_url
    )
    deliver([alert], AlertChannels.configured(slack, settings), context.log)


@dg.sensor(
    name=FRESHNESS_SENSOR,
    target=dg.AssetSelection.checks(*FRESHNESS_CHECKS),
    minimum_interval_seconds=FRESHNESS_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Evaluates the models' freshness checks once per day, at the first tick after the "
        f"deadline ({FRESHNESS_DEADLINE:%H:%M} UTC): is the last complete day's partition there?"
    ),
)
def freshness_sensor(context: dg.SensorEvaluationContext) -> dg.RunRequest:
    due = due_partition(utc_now())
    # One evaluation per due day: the run key makes every later tick that day a no-op.
    return dg.RunRequest(
        run_key=f"freshness:{due.isoformat()}",
        asset_check_keys=[key for checks in FRESHNESS_CHECKS for key in checks.check_keys],
    )


ALERT_SENSORS: list[dg.SensorDefinition] = [
    check_failure_alerts,
    run_failure_alerts,
    freshness_sensor,
]

# Resources the alert sensors need; merge into the Definitions' resources.
ALERT_RESOURCES: dict[str, Any] = {"slack": slack_resource(load_settings().alerts)}
