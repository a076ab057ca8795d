"""The alert sensors against a local webhook receiver: one message per failure, never twice.

A tiny HTTP server on 127.0.0.1 stands in for the alert webhook. Runs are executed in a test
instance with checks that pass, warn and fail; the sensors are ticked the way the daemon does,
carrying their cursor from one tick to the next.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import dagster as dg
import pytest
from dagster_slack import SlackResource

from asset_checks.factory import FAILING_ROWS, PARTITIONS
from retention_assets.alerts import (
    BLOCKING_CHECK_ACTION,
    CHECK_ACTIONS,
    CHECK_FAILED,
    RUN_FAILED,
    RUN_FAILED_ACTION,
    WARNING_CHECK_ACTION,
    AlertChannels,
    check_failure_alert,
    deliver,
)
from retention_assets.sensors import check_failure_alerts, run_failure_alerts
from retention_assets.settings import (
    ALERT_WEBHOOK_URL,
    SLACK_BOT_TOKEN,
    SLACK_CHANNEL,
    UI_BASE_URL,
)

SECRET = "s3cr3t-webhook-token"
UI = "http://dagster.test:3000"
DAY = "2025-03-10"
PARTITIONS_DEF = dg.DailyPartitionsDefinition(start_date="2025-01-01", timezone="UTC")
NO_SLACK = {"slack": dg.ResourceDefinition.none_resource()}


class Receiver:
    """Collects the JSON bodies POSTed to it; answers ``status``."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                receiver.messages.append(json.loads(self.rfile.read(length)))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Keep the test output quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    receiver = Receiver()
    receiver.thread.start()
    monkeypatch.setenv(ALERT_WEBHOOK_URL, f"{receiver.url}/hooks/alerts?token={SECRET}")
    monkeypatch.setenv(UI_BASE_URL, f"{UI}/")
    monkeypatch.delenv(SLACK_BOT_TOKEN, raising=False)
    monkeypatch.delenv(SLACK_CHANNEL, raising=False)
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
        receiver.thread.join()


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as test_instance:
        yield test_instance


@dg.asset(key="retention_customer_state", partitions_def=PARTITIONS_DEF)
def model() -> None:
    """Stands in for a model."""


@dg.asset(deps=[model], partitions_def=PARTITIONS_DEF)
def sync() -> None:
    """Stands in for a cio_sync asset."""


@dg.asset_check(asset=model, blocking=True)
def one_row_per_customer() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={FAILING_ROWS: 2, PARTITIONS: DAY},
        description="2 failing rows in partition 2025-03-10: duplicate_customer_per_day (2).",
    )


@dg.asset_check(asset=model)
def customerio_limits() -> dg.AssetCheckResult:
    # No partitions metadata: the alert takes the partition from the run.
    return dg.AssetCheckResult(
        passed=False, severity=dg.AssetCheckSeverity.WARN, metadata={FAILING_ROWS: 1}
    )


@dg.asset_check(asset=model)
def allowed_values() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True, metadata={FAILING_ROWS: 0})


def materialize(instance: dg.DagsterInstance, *checks: dg.AssetChecksDefinition) -> str:
    result = dg.materialize(
        [model, sync, *checks], partition_key=DAY, instance=instance, raise_on_error=False
    )
    return result.run_id


def tick(sensor: dg.SensorDefinition, instance: dg.DagsterInstance, cursor: str | None, **res):
    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources=res or NO_SLACK)
    return sensor.evaluate_tick(context)


def test_each_failed_check_is_alerted_once_with_its_facts(receiver, instance):
    failing_run = materialize(instance, one_row_per_customer, customerio_limits, allowed_values)
    passing_run = materialize(instance, allowed_values)

    first = tick(check_failure_alerts, instance, None)

    assert sorted(m["check"] for m in receiver.messages) == [
        "customerio_limits",
        "one_row_per_customer",
    ]
    by_check = {message["check"]: message for message in receiver.messages}
    error = by_check["one_row_per_customer"]
    assert error["kind"] == CHECK_FAILED
    assert error["severity"] == "ERROR"
    assert error["asset"] == "retention_customer_state"
    assert error["partition"] == DAY
    assert error["failing_rows"] == 2
    assert error["run_id"] == failing_run
    assert error["run_url"] == f"{UI}/runs/{failing_run}"
    assert "duplicate_customer_per_day" in error["text"]
    warning = by_check["customerio_limits"]
    assert (warning["severity"], warning["partition"], warning["failing_rows"]) == ("WARN", DAY, 1)
    assert passing_run not in {message["run_id"] for message in receiver.messages}

    second = tick(check_failure_alerts, instance, first.cursor)
    assert len(receiver.messages) == 2

    another_run = materialize(instance, customerio_limits)
    tick(check_failure_alerts, instance, second.cursor)
    assert len(receiver.messages) == 3
    assert receiver.messages[-1]["run_id"] == another_run


def test_a_failed_run_is_alerted_once_naming_its_failed_checks(receiver, instance):
    initial = tick(run_failure_alerts, instance, None)
    failing_run = materialize(instance, one_row_per_customer, customerio_limits, allowed_values)
    materialize(instance, allowed_values)

    after_failure = tick(run_failure_alerts, instance, initial.cursor)

    (message,) = receiver.messages
    assert message["kind"] == RUN_FAILED
    assert message["severity"] == "ERROR"
    assert message["run_url"] == f"{UI}/runs/{failing_run}"
    assert message["partition"] == DAY
    assert message["asset"] == "retention_customer_state, sync"
    assert message["check"] == "customerio_limits, one_row_per_customer"
    assert message["failing_rows"] == 3

    tick(run_failure_alerts, instance, after_failure.cursor)
    assert len(receiver.messages) == 1


class RecordingSlack(SlackResource):
    """dagster-slack's resource with the network replaced by a list of posted messages."""

    def get_client(self) -> Any:
        posted = POSTED_TO_SLACK

        class Client:
            def chat_postMessage(self, **message: Any) -> None:
                posted.append(message)

        return Client()


POSTED_TO_SLACK: list[dict[str, Any]] = []


def test_slack_gets_the_same_alert_when_configured(receiver, instance, monkeypatch):
    monkeypatch.setenv(SLACK_CHANNEL, "#retention-alerts")
    POSTED_TO_SLACK.clear()
    materialize(instance, one_row_per_customer)

    tick(check_failure_alerts, instance, None, slack=RecordingSlack(token="xoxb-test"))

    (posted,) = POSTED_TO_SLACK
    assert posted["channel"] == "#retention-alerts"
    assert "one_row_per_customer" in posted["text"] and "partition: 2025-03-10" in posted["text"]
    assert "xoxb-test" not in posted["text"]
    assert len(receiver.messages) == 1


def _alert(run_id: str = "run-1") -> Any:
    evaluation = dg.AssetCheckEvaluation(
        asset_key=dg.AssetKey("retention_events"),
        check_name="events_vocabulary",
        passed=False,
        metadata={FAILING_ROWS: dg.MetadataValue.int(4), PARTITIONS: dg.MetadataValue.text(DAY)},
    )
    run = dg.DagsterRun(job_name="retention_daily", run_id=run_id)
    return check_failure_alert(evaluation, run, UI)


def test_delivery_problems_are_logged_without_the_webhook_secret(receiver, caplog):
    receiver.status = 500
    channels = AlertChannels(
        slack=None, slack_channel=None, webhook_url=receiver.url + "/x?t=" + SECRET
    )
    logger = logging.getLogger("alerts-test")

    with caplog.at_level(logging.INFO, logger="alerts-test"):
        deliver([_alert()], channels, logger)

    assert len(receiver.messages) == 1
    assert "HTTP 500" in caplog.text and receiver.url in caplog.text
    assert "events_vocabulary" in caplog.text  # the alert itself is always logged
    assert SECRET not in caplog.text and "/x" not in caplog.text


def test_plain_http_to_a_remote_webhook_is_refused(caplog):
    channels = AlertChannels(
        slack=None, slack_channel=None, webhook_url=f"http://hooks.example.com/a?t={SECRET}"
    )
    logger = logging.getLogger("alerts-test")

    with caplog.at_level(logging.INFO, logger="alerts-test"):
        deliver([_alert()], channels, logger)

    assert "plain http" in caplog.text and "http://hooks.example.com" in caplog.text
    assert SECRET not in caplog.text


def test_every_check_of_the_pipeline_has_its_own_what_to_do_line() -> None:
    from retention_assets.definitions import defs

    checks = {key.name for key in defs.resolve_asset_graph().asset_check_keys}

    assert checks - set(CHECK_ACTIONS) == set()


def test_every_alert_says_what_to_do(receiver, instance):
    initial = tick(run_failure_alerts, instance, None)
    materialize(instance, one_row_per_customer, customerio_limits)

    tick(check_failure_alerts, instance, None)
    tick(run_failure_alerts, instance, initial.cursor)

    by_kind = {(m["kind"], m["check"]): m for m in receiver.messages}
    assert by_kind[(CHECK_FAILED, "one_row_per_customer")]["what_to_do"] == BLOCKING_CHECK_ACTION
    assert by_kind[(CHECK_FAILED, "customerio_limits")]["what_to_do"] == WARNING_CHECK_ACTION
    run_alert = by_kind[(RUN_FAILED, "customerio_limits, one_row_per_customer")]
    assert run_alert["what_to_do"] == RUN_FAILED_ACTION
    for message in receiver.messages:
        assert f"what to do: {message['what_to_do']}" in message["text"]
