"""docs/deployment.md stays true: its Dagster configuration validates, its names are the code's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from dagster._core.instance.config import dagster_instance_config

from retention_assets import settings
from retention_assets.sync.factory import CUSTOMERIO_RUN_TAG, CUSTOMERIO_RUN_TAGS

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "deployment.md"
_YAML_BLOCK = re.compile(r"```yaml\n(.*?)```", re.DOTALL)


def _yaml_blocks(starting_with: str) -> list[str]:
    """The guide's YAML blocks whose text starts with ``starting_with``."""
    text = GUIDE.read_text()
    # Blocks inside list items are indented; dedent each by its first line's indent.
    blocks = []
    for block in _YAML_BLOCK.findall(text):
        lines = block.splitlines()
        indent = len(lines[0]) - len(lines[0].lstrip())
        dedented = "\n".join(line[indent:] for line in lines)
        if dedented.startswith(starting_with):
            blocks.append(dedented + "\n")
    return blocks


@pytest.mark.parametrize("first_line", ["# dagster.yaml", "run_queue:"])
def test_the_guides_instance_configuration_is_valid(
    first_line: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DAGSTER_PG_HOST", "DAGSTER_PG_DB", "DAGSTER_PG_USERNAME", "DAGSTER_PG_PASSWORD"):
        monkeypatch.setenv(name, "set")
    (block,) = _yaml_blocks(first_line)
    (tmp_path / "dagster.yaml").write_text(block)

    config, _ = dagster_instance_config(str(tmp_path))

    limits = (config.get("concurrency", {}).get("runs") or config["run_queue"])[
        "tag_concurrency_limits"
    ]
    (value,) = CUSTOMERIO_RUN_TAGS.values()
    assert {"key": CUSTOMERIO_RUN_TAG, "value": value, "limit": 1} in limits


def test_the_guide_names_every_setting_and_snowflake_variable() -> None:
    text = GUIDE.read_text()
    names = [
        settings.WAREHOUSE,
        settings.SNOWFLAKE_RAW_LOCATION,
        settings.SYNC_SHARDS,
        settings.DUCKDB_SYNC_MEMORY_LIMIT,
        settings.FULL_SAMPLES,
        settings.SHOP_TIMEZONE,
        settings.PARTITIONS_START,
        settings.SNOWFLAKE_ACCOUNT,
        settings.SNOWFLAKE_USER,
        settings.SNOWFLAKE_PASSWORD,
        settings.SNOWFLAKE_PRIVATE_KEY,
        settings.SNOWFLAKE_PRIVATE_KEY_PATH,
        settings.SNOWFLAKE_PRIVATE_KEY_PASSWORD,
        settings.SNOWFLAKE_DATABASE,
        settings.SNOWFLAKE_SCHEMA,
        settings.SNOWFLAKE_WAREHOUSE,
        settings.SNOWFLAKE_ROLE,
    ]
    assert [name for name in names if f"`{name}`" not in text] == []


def test_the_guides_instance_fails_runs_whose_worker_died(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DAGSTER_PG_HOST", "DAGSTER_PG_DB", "DAGSTER_PG_USERNAME", "DAGSTER_PG_PASSWORD"):
        monkeypatch.setenv(name, "set")
    (block,) = _yaml_blocks("# dagster.yaml")
    (tmp_path / "dagster.yaml").write_text(block)

    config, _ = dagster_instance_config(str(tmp_path))

    monitoring = config["run_monitoring"]
    assert monitoring["enabled"] is True
    assert monitoring["max_runtime_seconds"] > 0
    assert monitoring["max_resume_run_attempts"] == 0
    for setting in monitoring:
        assert f"`{setting}`" in GUIDE.read_text(), f"{setting} is not explained in the guide"
