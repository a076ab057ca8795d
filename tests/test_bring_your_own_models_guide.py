"""The specs shown in docs/bring-your-own-models.md are valid specs: the guide cannot drift."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from retention_assets.specs import parse_spec

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "bring-your-own-models.md"


def test_every_spec_in_the_guide_loads() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", GUIDE.read_text(), flags=re.S)
    assert len(blocks) == 2
    specs = [parse_spec(yaml.safe_load(block), GUIDE) for block in blocks]
    assert [spec.stream for spec in specs] == ["profiles", "events"]
    assert specs[1].cadence.continuous
    # The guide shows the fields that spare a team Python and SQL.
    assert specs[0].source.external
    assert [m.time_zone for m in specs[0].attributes if m.time_zone != "UTC"] == ["Europe/Berlin"]
