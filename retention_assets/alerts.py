"""What a retention alert says and where it goes: failed checks and failed runs.

The sensors in ``retention_assets.sensors`` decide *when* to alert (one alert per failure,
cursored over the instance); this module decides what an alert contains and delivers it, so it
can be tested without a Dagster instance. Every alert names the asset, the partition, the
check, the severity and the failing-row count, links to the run in the Dagster UI, and says
what to do: a line per check (``CHECK_ACTIONS``), or per kind for checks without one.

Channels: the Dagster log always; Slack through dagster-slack's ``SlackResource`` when
``SLACK_BOT_TOKEN`` and ``RETENTION_SLACK_CHANNEL`` are set; a generic JSON webhook (one POST
per alert) when ``RETENTION_ALERT_WEBHOOK_URL`` is set. A channel that fails is logged and the
others still get the alert: an alerting outage must not hide the failure it reports.

Secrets: the Slack token only reaches Dagster as ``dg.EnvVar`` and is never read here; the
webhook URL is never logged — a delivery problem names the scheme and host only, because
webhook URLs carry their secret in the path or query string. Plain ``http://`` is refused for
any host but loopback.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import dagster as dg
import httpx
from dagster_slack import SlackResource
from slack_sdk.errors import SlackApiError, SlackClientError

from asset_checks import names, spec_checks
from asset_checks.cohort_check import COHORT_CHECK
from asset_checks.factory import FAILING_ROWS, PARTITIONS
from asset_checks.raw_checks import RAW_VALUES_CHECK
from asset_checks.sync_checks import (
    DELIVERY_CHECK,
    MERGE_GUARD_CHECK,
    REJECTED_ROWS_CHECK,
    VOLUME_GUARD_CHECK,
)
from resources.customerio.urls import is_loopback_host
from retention_assets.partitions import RANGE_END_TAG, RANGE_START_TAG
from retention_assets.settings import (
    ALERT_WEBHOOK_URL,
    SLACK_BOT_TOKEN,
    SLACK_CHANNEL,
    AlertSettings,
)

WEBHOOK_TIMEOUT_SECONDS: Final = 10.0

CHECK_FAILED: Final = "asset_check_failed"
RUN_FAILED: Final = "run_failed"

_PARTITION_TAG: Final = "dagster/partition"
NO_VALUE: Final = "none"

# What the person who gets the alert does first. An alert nobody can act on is noise.
_REMATERIALISE: Final = (
    "fix the model or its raw source, then rematerialise the partition (the sync follows in the"
    " same run)."
)
CHECK_ACTIONS: Final[dict[str, str]] = {
    names.STATE_TIMESTAMPS_UTC: "Nothing was sent for these days. The sample names the timestamp"
    " columns that are not stored with a zone or do not read as UTC; " + _REMATERIALISE,
    names.STATE_ALLOWED_VALUES: "Nothing was sent for these days. The sample shows each value"
    " outside the schema (asset_checks/schemas.py): map it in the model, or add it to the schema"
    " if it is a new legitimate value; then rematerialise the partition.",
    names.STATE_ATTRIBUTE_FLAPPING: "Nothing was blocked. The sample's history shows the values"
    " going back and forth: find the source or model rule that alternates (two sources"
    " disagreeing, a non-deterministic tie-break) and fix it; journeys keyed on the attribute"
    " may have been entered and left.",
    names.EVENTS_TIMESTAMPS_UTC: "No events were sent for these days. The sample names the"
    " events without occurred_at, the timestamp columns without a zone, or the events whose"
    " event_date is not the UTC day of occurred_at; " + _REMATERIALISE,
    names.FRESHNESS: "The partition was not built by its deadline. Look for a failed or queued"
    " run of the daily schedule (and an earlier alert about it); if none ran, launch"
    " retention_sync_job for the partition.",
    RAW_VALUES_CHECK: "Nothing wrong was sent: the models exclude or normalise these raw values"
    " (docs/raw-contract.md has the rule for each). Open the failed rule's sample, fix the rows"
    " at the source and re-load them; the next build picks them up.",
    names.STATE_SHARED_EMAIL: "Nothing was blocked, but Customer.io will drop the updates of all"
    " but one customer of each shared email (the delivery audit then lists them as rejected"
    " rows). Merge the duplicate customers or correct their emails at the source.",
    VOLUME_GUARD_CHECK: "The send was stopped before anything went out and the plan was emptied."
    " Review the plan's counts in the run: if the change is expected (a backfill, a new"
    " attribute), re-run the plan and send with the allow-volume override (run tag or run"
    " config, docs/operating.md); if not, fix the model first.",
    MERGE_GUARD_CHECK: "No merge was sent, and the profile sync after it did not run. Review"
    " the identity plan's sample (merges first): if the email-only profiles are the same people,"
    " re-run the sync with run tag retention/allow_merges=true (docs/identity.md); if not, fix"
    " the emails at the source.",
    DELIVERY_CHECK: "Customer.io could not be reached within the retry budget; the undelivered"
    " rows are queued and the next run sends them. If it repeats, check Customer.io's status"
    " and lower CUSTOMERIO_MAX_RPS or CUSTOMERIO_CONCURRENCY.",
    REJECTED_ROWS_CHECK: "Customer.io refused some rows; the reasons are in"
    " cio_sync.rejected_rows. Fix the values in the model: the next run retries them.",
    COHORT_CHECK: "The test cohort differs from the warehouse in Customer.io (listed per customer):"
    " another writer or a manual edit, an event that did not land, a wrong segment, or an update"
    " Customer.io dropped. Find the cause named in `by_customer` (docs/cohort.md).",
}
# The checks every sync's spec yields, named ``<sync>__<check>``: one line per kind of check.
SPEC_CHECK_ACTIONS: Final[dict[str, str]] = {
    spec_checks.UNIQUE_ID: "Nothing was sent for these days. The sample shows missing, padded or"
    " duplicated ids of the source: fix the source (or its model), then run the sync again.",
    spec_checks.UNIQUE_PAIR: "No relationships were sent for these days. The sample shows pairs"
    " with a missing or padded person or object id, or listed twice: fix the source (or its"
    " model), then run the sync again.",
    spec_checks.UNIQUE_KEY: "No events were sent for these days. The sample shows missing, padded"
    " or duplicated event keys: fix the source, then run the sync again.",
    spec_checks.PERSON_ID: "No events were sent for these days. The sample shows events with a"
    " missing or padded person id: fix the source, then run the sync again.",
    spec_checks.TIMESTAMPS: "Nothing was sent for these days. The sample names the timestamps in"
    " the future or implausibly early: fix the source (or declare a prediction"
    " `may_be_future` in the spec), then run the sync again.",
    spec_checks.VOCABULARY: "No events were sent for these days. Add the new event name to the"
    " spec's vocabulary if it is meant, or map it in the source; then run the sync again.",
    spec_checks.NEAR_DUPLICATE_NAMES: "Nothing was blocked by this check. The sample names the"
    " vocabulary name each event name resembles: correct the spelling in the source.",
    spec_checks.CUSTOMERIO_LIMITS: "The rest was sent; the rows over Customer.io's limits are"
    " rejected with their reason (rejected_rows of the sync's schema). Shorten them at the"
    " source: the next run retries them.",
}
BLOCKING_CHECK_ACTION: Final = (
    "If the check is blocking (its description says so), nothing downstream of it ran for these"
    " days. Read the check's failing-row samples in the run, " + _REMATERIALISE
)
WARNING_CHECK_ACTION: Final = (
    "Nothing was blocked. Read the check's failing-row samples in the run and decide whether"
    " the model or the source needs a fix."
)
RUN_FAILED_ACTION: Final = (
    "Open the run's logs for the failed step. Rows Customer.io did not acknowledge stay queued"
    " and are sent by the next run; after fixing the cause, re-run the job for the partition."
)


def check_action(check: str, severity: str) -> str:
    """What to do about a failed check: its own line, or the one for its severity."""
    if check in CHECK_ACTIONS:
        return CHECK_ACTIONS[check]
    _sync, separator, kind = check.rpartition(spec_checks.NAME_SEPARATOR)
    if separator and kind in SPEC_CHECK_ACTIONS:
        return SPEC_CHECK_ACTIONS[kind]
    if severity == dg.AssetCheckSeverity.ERROR.value:
        return BLOCKING_CHECK_ACTION
    return WARNING_CHECK_ACTION


# The Dagster log of a sensor or a run, or a plain logger in tests.
AlertLog = logging.Logger | dg.DagsterLogManager


@dataclass(frozen=True)
class Alert:
    """One failure, with everything a person needs to start on it."""

    kind: str
    severity: str
    asset: str
    partition: str
    check: str
    failing_rows: int | None
    job: str
    run_id: str
    run_url: str
    summary: str
    what_to_do: str

    @property
    def title(self) -> str:
        if self.kind == CHECK_FAILED:
            return f"[{self.severity}] Check {self.check} failed on {self.asset}"
        return f"[{self.severity}] Run of {self.job} failed"

    def _fields(self) -> list[str]:
        rows = "unknown" if self.failing_rows is None else f"{self.failing_rows:,}"
        return [
            f"asset: {self.asset}",
            f"partition: {self.partition}",
            f"check: {self.check}",
            f"severity: {self.severity}",
            f"failing rows: {rows}",
            self.summary,
            f"what to do: {self.what_to_do}",
        ]

    def text(self) -> str:
        """Plain text, for the Dagster log and the webhook's ``text`` field."""
        return "\n".join([self.title, *self._fields(), f"run: {self.run_url}"])

    def slack_text(self) -> str:
        lines = [f"*{self.title}*", *self._fields(), f"<{self.run_url}|Open the run in Dagster>"]
        return "\n".join(lines)

    def payload(self) -> dict[str, Any]:
        """The webhook's JSON body: every field, plus the title and text for chat tools."""
        return {**asdict(self), "title": self.title, "text": self.text()}


def run_url(run_id: str, base_url: str) -> str:
    return f"{base_url}/runs/{run_id}"


def run_partition(run: dg.DagsterRun) -> str:
    """The partition (or ``start..end`` range) a run targeted, from its tags."""
    tags = run.tags
    if _PARTITION_TAG in tags:
        return tags[_PARTITION_TAG]
    if RANGE_START_TAG in tags and RANGE_END_TAG in tags:
        return f"{tags[RANGE_START_TAG]}..{tags[RANGE_END_TAG]}"
    return NO_VALUE


def _metadata_value(evaluation: dg.AssetCheckEvaluation, key: str) -> Any:
    entry = evaluation.metadata.get(key)
    return None if entry is None else entry.value


def evaluation_partition(evaluation: dg.AssetCheckEvaluation, run: dg.DagsterRun) -> str:
    """The days a check validated: its own partition, the days it reported, or the run's."""
    if evaluation.partition:
        return evaluation.partition
    reported = _metadata_value(evaluation, PARTITIONS)
    if reported and reported != NO_VALUE:
        return str(reported)
    return run_partition(run)


def check_failure_alert(
    evaluation: dg.AssetCheckEvaluation, run: dg.DagsterRun, base_url: str
) -> Alert:
    failing = _metadata_value(evaluation, FAILING_ROWS)
    return Alert(
        kind=CHECK_FAILED,
        severity=evaluation.severity.value,
        asset=evaluation.asset_key.to_user_string(),
        partition=evaluation_partition(evaluation, run),
        check=evaluation.check_name,
        failing_rows=int(failing) if failing is not None else None,
        job=run.job_name,
        run_id=run.run_id,
        run_url=run_url(run.run_id, base_url),
        summary=evaluation.description or "The check did not pass; see its metadata in the UI.",
        what_to_do=check_action(evaluation.check_name, evaluation.severity.value),
    )


def run_failure_alert(
    run: dg.DagsterRun,
    message: str,
    assets: Sequence[dg.AssetKey],
    failed_checks: Sequence[dg.AssetCheckEvaluation],
    base_url: str,
) -> Alert:
    """A failed run; names the checks that failed in it, since they are the usual cause."""
    counts = [_metadata_value(evaluation, FAILING_ROWS) for evaluation in failed_checks]
    known = [int(count) for count in counts if count is not None]
    return Alert(
        kind=RUN_FAILED,
        severity=dg.AssetCheckSeverity.ERROR.value,
        asset=", ".join(sorted({key.to_user_string() for key in assets})) or NO_VALUE,
        partition=run_partition(run),
        check=", ".join(sorted({evaluation.check_name for evaluation in failed_checks}))
        or NO_VALUE,
        failing_rows=sum(known) if known else None,
        job=run.job_name,
        run_id=run.run_id,
        run_url=run_url(run.run_id, base_url),
        summary=message or "The run failed; see its logs in the UI.",
        what_to_do=RUN_FAILED_ACTION,
    )


def slack_resource(settings: AlertSettings) -> SlackResource | dg.ResourceDefinition:
    """The ``slack`` resource: dagster-slack when configured, else an explicit "none"."""
    if settings.slack_token_set and settings.slack_channel:
        return SlackResource(token=dg.EnvVar(SLACK_BOT_TOKEN))
    return dg.ResourceDefinition.none_resource(
        description=f"Slack alerts are off: set {SLACK_BOT_TOKEN} and {SLACK_CHANNEL}."
    )


def redacted(url: str) -> str:
    """Scheme and host of a URL: what may be logged about it."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or '?'}{port}"


@dataclass(frozen=True)
class AlertChannels:
    """Where alerts go besides the Dagster log, as configured when the sensor ticks."""

    slack: SlackResource | None
    slack_channel: str | None
    webhook_url: str | None

    @classmethod
    def configured(cls, slack: SlackResource | None, settings: AlertSettings) -> AlertChannels:
        # The webhook URL is a secret: Dagster resolves it, it is never part of the settings.
        return cls(
            slack=slack,
            slack_channel=settings.slack_channel,
            webhook_url=dg.EnvVar(ALERT_WEBHOOK_URL).get_value() or None,
        )


def _log_alert(alert: Alert, log: AlertLog) -> None:
    if alert.severity == dg.AssetCheckSeverity.ERROR.value:
        log.error(alert.text())
    else:
        log.warning(alert.text())


def _webhook_refusal(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "is not an absolute http(s) URL"
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        return "uses plain http to a host that is not loopback; use https"
    return None


def _post_webhook(alert: Alert, url: str, client: httpx.Client, log: AlertLog) -> None:
    try:
        response = client.post(url, json=alert.payload())
        response.raise_for_status()
    except httpx.HTTPStatusError as error:
        log.error(
            f"Alert webhook {redacted(url)} answered HTTP {error.response.status_code}; "
            f"alert for run {alert.run_id} not delivered there."
        )
    except httpx.HTTPError as error:
        # The exception text may quote the URL, secret and all: only its type is logged.
        log.error(
            f"Alert webhook {redacted(url)} unreachable ({type(error).__name__}); "
            f"alert for run {alert.run_id} not delivered there."
        )


def _post_slack(alert: Alert, slack: SlackResource, channel: str, log: AlertLog) -> None:
    try:
        slack.get_client().chat_postMessage(channel=channel, text=alert.slack_text())
    except SlackApiError as error:
        log.error(
            f"Slack refused the alert for run {alert.run_id} in {channel}: "
            f"{error.response.get('error', 'unknown error')}."
        )
    except (SlackClientError, OSError) as error:
        log.error(
            f"Slack unreachable ({type(error).__name__}); alert for run {alert.run_id} "
            "not delivered there."
        )


def deliver(alerts: Sequence[Alert], channels: AlertChannels, log: AlertLog) -> None:
    """Log every alert, and send it to Slack and the webhook when they are configured."""
    if not alerts:
        return
    refusal = _webhook_refusal(channels.webhook_url) if channels.webhook_url else None
    if refusal and channels.webhook_url:
        log.error(f"{ALERT_WEBHOOK_URL} ({redacted(channels.webhook_url)}) {refusal}; not used.")
    webhook_url = channels.webhook_url if not refusal else None
    with httpx.Client(timeout=WEBHOOK_TIMEOUT_SECONDS) as client:
        for alert in alerts:
            _log_alert(alert, log)
            if channels.slack is not None and channels.slack_channel:
                _post_slack(alert, channels.slack, channels.slack_channel, log)
            if webhook_url:
                _post_webhook(alert, webhook_url, client, log)
