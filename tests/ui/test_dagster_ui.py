"""The Dagster UI in a real browser: what a newcomer sees, and runs launched from it.

The UI is how the retention team operates the pipeline, so it is tested the way they use it:
``dagster dev`` (started exactly as ``make ui`` starts it) on a small generated warehouse
with the local Customer.io sandbox, driven by headless Chromium through Playwright. The
tests run in file order, like a person would: launch one partition and read its checks,
then the lineage (now with results on it), then a range backfill with its per-partition
results. Servers bind 127.0.0.1 on free ports and are stopped by process group whatever
happens.

Screenshots go to pytest's temporary directory, or to ``$RETENTION_SCREENSHOTS`` (relative to
the project root) when set: ``RETENTION_SCREENSHOTS=docs/screenshots`` refreshes the ones
``docs/operating.md`` shows.

Chromium is Debian's ``chromium`` package (``.ci/run`` installs it). Without it the tests
skip on a developer machine and fail in CI, where the browser test must run.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect, sync_playwright

from cio_sandbox.testing import SandboxHandle, running_sandbox
from resources.warehouse import DuckDBWarehouse
from retention_assets.settings import (
    DEFAULT_SHOP_TIMEZONE,
    DUCKDB_PATH,
    PARTITIONS_START,
    PROJECT_ROOT,
)
from retention_assets.sources.generator import generate_sources
from retention_assets.sync.policies import BACKFILL_SUFFIX
from tools import demo
from tools.ui import free_port, running_dagster_dev

CHROMIUM = Path("/usr/bin/chromium")
# Root in a container, no GPU, no network beyond loopback: nothing may phone home or wait for it.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS_ENV = "RETENTION_SCREENSHOTS"
VIEWPORT = {"width": 1440, "height": 900}
CUSTOMERS = 300
HISTORY_DAYS = 30
RUN_TIMEOUT_MS = 120_000
BACKFILL_TIMEOUT_MS = 150_000
# Launching twelve assets' runs takes the webserver a while on a busy two-core machine.
LAUNCH_TIMEOUT_MS = 60_000
# The model's own checks and those its spec gives it, side by side on the Checks tab.
PANDERA_CHECKS = (
    "customer_state__unique_id",
    "customer_state__timestamps",
    "customer_state_timestamps_utc",
    "customer_state_allowed_values",
)
MODELS = (
    "retention_customer_state",
    "retention_events",
    "retention_loyalty_programs",
    "retention_loyalty_members",
    "retention_vip_audience",
    "retention_erasure_requests",
)
SYNC_ASSETS = (
    "customer_state_identity_plan",
    "customer_state_identity",
    "customer_state_plan",
    "customer_state",
    "events_plan",
    "events",
    "loyalty_programs_plan",
    "loyalty_programs",
    "loyalty_members_plan",
    "loyalty_members",
    "vip_audience_plan",
    "vip_audience",
    "erasure_requests_plan",
    "erasure_requests",
)
# The global graph top to bottom, with the model and sync groups open and the ten raw tables
# folded into their group, so that it fits the window with every node drawn in full (names,
# check results, kinds). Dagster keeps these graph settings in localStorage.
GRAPH_LAYOUT_SCRIPT = """
localStorage.setItem(
  "asset-graph-open-graph-nodes-global-__GLOBAL__",
  JSON.stringify({expanded: "global@global:retention,global@global:cio_sync"}),
);
localStorage.setItem("asset-graph-direction", JSON.stringify("vertical"));
"""
# The graph zooms to fit its first frame, and below 60% zoom Dagster draws "minimal" nodes
# (names cut to 18 characters, no check status): a wide frame keeps the fit well above that,
# whatever the layout's timing on a busy machine (at 1440 px a fit once came out below it).
# Twice as tall since the syncs are ordered (erasures, identities, profiles, then the rest).
GRAPH_VIEWPORT = {"width": 2560, "height": 2880}

pytestmark = pytest.mark.timeout(300)
# The UI renders from polled GraphQL: give a page this long to show what a test expects.
expect.set_options(timeout=20_000)


@dataclass(frozen=True)
class UI:
    url: str
    sandbox: SandboxHandle
    yesterday: dt.date


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing in CI: .ci/run must install Debian's chromium")
    pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium to run the browser tests")


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = os.environ.get(SCREENSHOTS_ENV)
    if not target:
        return tmp_path_factory.mktemp("screenshots")
    directory = PROJECT_ROOT / target
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UI]:
    """``dagster dev`` and the sandbox on a fresh warehouse and instance, stopped afterwards."""
    _require_chromium()
    root = tmp_path_factory.mktemp("ui")
    database = root / "warehouse.duckdb"
    home = root / "dagster_home"
    demo.prepare_instance(home)
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    with DuckDBWarehouse(database=str(database)).session() as session:
        generate_sources(
            session.connection,
            customers=CUSTOMERS,
            days=HISTORY_DAYS,
            end_date=yesterday,
            shop_timezone=DEFAULT_SHOP_TIMEZONE,
        )
    with (
        running_sandbox(app_rate_limit=demo.SANDBOX_APP_RPS) as sandbox,
        (root / "dagster.log").open("wb") as log,
    ):
        env = {
            **os.environ,
            **demo.customerio_env(sandbox),
            DUCKDB_PATH: str(database),
            # Partitions start with the generated history, so the UI's partition bars mean
            # something: the run and the backfill fill a visible share of them.
            PARTITIONS_START: (yesterday - dt.timedelta(days=HISTORY_DAYS - 1)).isoformat(),
            "DAGSTER_HOME": str(home),
        }
        try:
            with running_dagster_dev(env, free_port(), output=log) as dagster:
                # A fresh instance greets its first visitor with a newsletter dialog that
                # would cover the page: record it as seen, as the UI's "Skip" does.
                httpx.post(
                    f"{dagster.url}/graphql", json={"query": "mutation { setNuxSeen }"}
                ).raise_for_status()
                yield UI(dagster.url, sandbox, yesterday)
        finally:
            log.flush()
            print(f"dagster dev output: {root / 'dagster.log'}")


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    """A page of a headless Chromium with a fresh profile."""
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_FLAGS,
            headless=True,
            viewport=VIEWPORT,
        )
        context.add_init_script(GRAPH_LAYOUT_SCRIPT)
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()


def _launch_dialog(page: Page, ui: UI, selection: str) -> Locator:
    """The graph's "Materialize all" dialog with ``selection`` typed as the partitions."""
    page.goto(f"{ui.url}/asset-groups")
    page.get_by_role("button", name="Materialize all").click()
    dialog = page.get_by_role("dialog")
    partitions = dialog.locator("input[type=text]").first
    partitions.fill(selection)
    partitions.press("Enter")
    return dialog


def _follow_launch_toast(page: Page, ui: UI) -> None:
    """Open what was just launched (a run or a backfill) from the toast's View link."""
    link = page.get_by_role("link", name="View", exact=True).first
    expect(link).to_have_attribute("href", re.compile(r"^/runs/"), timeout=LAUNCH_TIMEOUT_MS)
    page.goto(ui.url + str(link.get_attribute("href")))


def test_materialize_a_partition_from_the_ui_and_read_its_checks(
    ui: UI, page: Page, screenshots: Path
) -> None:
    day = ui.yesterday.isoformat()
    dialog = _launch_dialog(page, ui, day)
    expect(dialog.get_by_text("1 partition", exact=True).first).to_be_visible()
    page.screenshot(path=screenshots / "launch_partition.png")
    dialog.get_by_role("button", name="Launch 1 run").click()

    _follow_launch_toast(page, ui)
    expect(page.get_by_text(f"partition: {day}").first).to_be_visible()
    expect(page.get_by_text("Success", exact=True).first).to_be_visible(timeout=RUN_TIMEOUT_MS)

    page.goto(f"{ui.url}/assets/retention_customer_state?view=checks")
    for check in PANDERA_CHECKS:
        row = page.locator(f'[title="{check}"]').locator("xpath=..")
        expect(row).to_contain_text("Succeeded")
    expect(page.get_by_text(f"rules passed in partition {day}").first).to_be_visible()
    page.screenshot(path=screenshots / "checks.png")

    # The dry run of that partition: counts and sample payloads, before anything was sent.
    page.goto(f"{ui.url}/assets/cio_sync/customer_state_plan?view=partitions&partition={day}")
    expect(page.get_by_text("sample_payloads").first).to_be_visible()
    expect(page.get_by_text("new_profiles").first).to_be_visible()
    page.screenshot(path=screenshots / "plan_dry_run.png")
    assert len(ui.sandbox.people()) > 0, "the run launched from the UI reached the sandbox"


def test_lineage_shows_models_checks_and_sync_assets(ui: UI, page: Page, screenshots: Path) -> None:
    page.set_viewport_size(GRAPH_VIEWPORT)
    page.goto(f"{ui.url}/asset-groups")
    # Fold the main navigation: the graph gets the width.
    page.get_by_role("button", name="Hide navigation").click()
    graph = page.locator("svg foreignObject")
    for name in (*MODELS, *SYNC_ASSETS):
        expect(graph.get_by_text(name, exact=True).first).to_be_visible()
    for group in ("sources", "retention", "cio_sync"):
        expect(graph.get_by_text(group, exact=True).first).to_be_visible()
    model = graph.filter(has_text="retention_customer_state").first
    expect(model).to_contain_text("Asset checks")
    expect(model).to_contain_text("Passed")
    page.screenshot(path=screenshots / "lineage.png")
    page.set_viewport_size(VIEWPORT)

    page.goto(f"{ui.url}/assets/retention_customer_state")
    expect(page.get_by_text("For marketers:").first).to_be_visible()
    revenue = page.get_by_text("From raw.orders.status, raw.orders.total_amount")
    expect(revenue.first).to_be_visible()
    expect(page.get_by_text("raw / customers").first).to_be_visible()
    page.screenshot(path=screenshots / "asset_overview.png")

    page.goto(f"{ui.url}/assets/cio_sync/customer_state")
    expect(page.get_by_text("From retention_customer_state.vip_tier").first).to_be_visible()
    expect(page.get_by_text("attribute_ownership").first).to_be_visible()


def test_range_backfill_follows_the_policy_per_partition(
    ui: UI, page: Page, screenshots: Path
) -> None:
    first = ui.yesterday - dt.timedelta(days=3)
    last = ui.yesterday - dt.timedelta(days=1)
    dialog = _launch_dialog(page, ui, f"[{first.isoformat()}...{last.isoformat()}]")
    expect(dialog.get_by_text("3 partitions", exact=True).first).to_be_visible()
    dialog.get_by_role("button", name="Launch backfill").click()

    _follow_launch_toast(page, ui)
    # The backfill page has a progress bar per asset; each fills once its three days are done.
    expect(page.get_by_text("100% completed")).to_have_count(
        len(MODELS) + len(SYNC_ASSETS), timeout=BACKFILL_TIMEOUT_MS
    )
    page.screenshot(path=screenshots / "backfill.png")

    # One run covered the range (BackfillPolicy.single_run); each day still has its own result.
    page.goto(f"{ui.url}/assets/cio_sync/events?view=partitions&partition={last.isoformat()}")
    expect(page.get_by_text("events_on_day").first).to_be_visible()
    expect(page.get_by_text("backfill_policy").first).to_be_visible()
    expect(page.get_by_text("rename", exact=True).first).to_be_visible()
    page.screenshot(path=screenshots / "backfill_partition.png")
    page.goto(
        f"{ui.url}/assets/cio_sync/customer_state?view=partitions&partition={first.isoformat()}"
    )
    expect(page.get_by_text(f"superseded by {last.isoformat()}").first).to_be_visible()
    # The range's last day lies inside Customer.io's 72-hour trigger window and was first sent
    # by this backfill: its events arrived renamed, so they cannot start live journeys.
    last_day_names = {
        event["name"]
        for event in ui.sandbox.events()
        if dt.datetime.fromtimestamp(event["timestamp"], dt.UTC).date() == last
    }
    assert last_day_names, "the backfill sent the events of its last day"
    assert all(name.endswith(BACKFILL_SUFFIX) for name in last_day_names), last_day_names
