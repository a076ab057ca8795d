"""The Dagster instance the project writes for ``.dagster_home`` fails runs whose worker died.

Without run monitoring, a run whose process was killed (kill -9, a closed laptop, an OOM kill)
stays STARTED forever: the UI shows it in progress and the tag limit of one Customer.io sync at
a time blocks every later sync run behind it. The instance config is loaded by Dagster itself.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from tools import demo


def test_the_written_instance_has_run_monitoring_on_with_a_runtime_bound(tmp_path: Path) -> None:
    demo.prepare_instance(tmp_path)

    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_max_runtime_seconds == demo.MAX_RUN_SECONDS
        assert instance.run_monitoring_start_timeout_seconds > 0
        assert instance.run_monitoring_poll_interval_seconds <= 60
        # The runs still queue one at a time on the single DuckDB file.
        assert instance.run_coordinator.get_run_queue_config().max_concurrent_runs == 1


def test_an_instance_written_before_monitoring_existed_gets_it(tmp_path: Path) -> None:
    (tmp_path / "dagster.yaml").write_text(demo.INSTANCE_CONFIGS_BEFORE[0])

    demo.prepare_instance(tmp_path)

    assert (tmp_path / "dagster.yaml").read_text() == demo.INSTANCE_CONFIG


def test_an_instance_config_of_the_operators_own_is_left_alone(tmp_path: Path) -> None:
    own = "telemetry:\n  enabled: true\n"
    (tmp_path / "dagster.yaml").write_text(own)

    demo.prepare_instance(tmp_path)

    assert (tmp_path / "dagster.yaml").read_text() == own
