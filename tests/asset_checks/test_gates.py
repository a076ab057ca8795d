"""A plan's gates (``asset_checks.gates``) on the shop's two syncs, each in a fresh process.

Every plan re-evaluates its source's blocking checks on the rows it plans, and most plans
find nothing wrong: those import neither pandas nor Pandera (about 0.6 s a process, issue 15).
A failing rule still brings its sample to pandas and shows it with Pandera's verdict per row.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from retention_assets.settings import PROJECT_ROOT
from tests.warehouses import duckdb_only

# What each plan does on its day before it plans (retention_assets.sync.assets), then what it
# loaded and, for a refusal, what the failure would show (after the modules are read: showing
# a sample is a failure's business).
PROBE = """
import datetime as dt
import json
import sys

from asset_checks import gates
from resources.warehouse import DuckDBWarehouse
from retention_assets.shop import CUSTOMER_STATE, EVENTS
from retention_assets.sync import ledger

database, day = sys.argv[1], dt.date.fromisoformat(sys.argv[2])
with DuckDBWarehouse(database=database).session(for_sync=True) as session:
    refused = {}
    for stream in (CUSTOMER_STATE, EVENTS):
        ledger.ensure_sync_tables(session, stream)
        ledger.ensure_source_view(session, stream)
        refused[stream] = gates.refusals(session, stream, day, day)
loaded = [name for name in ("pandas", "pandera") if name in sys.modules]

from tests.metadata_tables import as_text

samples = {
    name: as_text(value)
    for stream, found in refused.items()
    if found
    for name, value in gates.refusal_failure(stream.upstream, str(day), found).metadata.items()
    if ": sample: " in name
}
labels = [refusal.label for found in refused.values() for refusal in found]
print(json.dumps({"loaded": loaded, "refused": labels, "samples": samples}))
"""


def _plan_gates(tables: Any) -> dict[str, Any]:
    """The probe's report on the tables' warehouse, from a process of its own: this one has
    imported pandas already (the tests use it)."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, tables.warehouse.database, "2025-03-10"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return report


@duckdb_only
def test_passing_gates_import_neither_pandas_nor_pandera(tables: Any) -> None:
    report = _plan_gates(tables)

    assert report == {"loaded": [], "refused": [], "samples": {}}


@duckdb_only
def test_a_failing_gate_still_shows_its_sample_and_pandera_verdict(
    tables: Any, state: Any, event: Any
) -> None:
    tables.add_state(state("cust_platinum", vip_tier="platinum", is_vip=True))
    tables.add_events(event("order:2", event_name="Coupon Redeemed"))

    report = _plan_gates(tables)

    assert report["refused"] == [
        "customer_state_allowed_values: vip_tier_not_allowed (1 rows)",
        "events__vocabulary: unknown_event_name (1 rows)",
    ]
    allowed = report["samples"]["customer_state_allowed_values: sample: vip_tier_not_allowed"]
    assert "| cust_platinum | 2025-03-10 | platinum |" in allowed
    assert "isin(('gold', 'silver', 'none'))(vip_tier)" in allowed
    vocabulary = report["samples"]["events__vocabulary: sample: unknown_event_name"]
    assert "| Coupon Redeemed | 1 | order:2 |" in vocabulary
