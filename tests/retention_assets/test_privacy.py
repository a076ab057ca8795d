"""No raw customer email in asset metadata: previews and sample payloads show them masked.

The demo's sources (the generator) are built by the real models and planned by the real
profile plan in a Dagster run; every metadata value of every materialization is then searched
for the raw emails of ``raw.customers``. ``RETENTION_FULL_SAMPLES=true`` turns full samples on
for debugging, which is also what shows that the search finds emails when they are there.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import pytest

from resources.warehouse import DuckDBWarehouse
from retention_assets.models import MODEL_ASSETS
from retention_assets.privacy import mask_email, mask_emails, shown_value
from retention_assets.settings import FULL_SAMPLES, SettingsError, load_settings
from retention_assets.shop import CUSTOMER_STATE, CUSTOMER_STATE_PLAN
from retention_assets.sources.generator import generate_sources
from retention_assets.sync.assets import profile_plan_asset

DAY = dt.date(2026, 11, 1)


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("jane.doe@example.com", "j***@example.com"),
        ("  Jane.Doe@Example.COM\t", "J***@Example.COM"),
        ("a@b.co", "a***@b.co"),
        ("no-at-sign", "n***"),
        ("", ""),
    ],
)
def test_an_email_keeps_its_first_character_and_domain(email: str, masked: str) -> None:
    assert mask_email(email) == masked


def test_every_email_in_free_text_is_masked() -> None:
    text = '42: {"email": "jane.doe@example.com", "alt": "jöhn+tag@mail.example.org"}'

    assert mask_emails(text) == '42: {"email": "j***@example.com", "alt": "j***@mail.example.org"}'


def test_a_cell_of_an_email_column_is_masked_whatever_it_holds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(FULL_SAMPLES, raising=False)

    assert shown_value("email", "Jane Doe AT example") == "J***"
    assert shown_value("top_category", "coffee") == "coffee"
    assert shown_value("email", None) is None


@pytest.mark.parametrize(("value", "full"), [("", False), ("false", False), ("TRUE", True)])
def test_full_samples_are_off_unless_turned_on(value: str, full: bool) -> None:
    assert load_settings({FULL_SAMPLES: value}).full_samples is full


def test_a_bad_full_samples_value_fails_by_name() -> None:
    with pytest.raises(SettingsError, match=f"{FULL_SAMPLES} must be true or false"):
        load_settings({FULL_SAMPLES: "sometimes"})


def _metadata_texts(tmp_path: Path) -> tuple[str, set[str]]:
    """Every metadata value of a real build and plan, and the raw emails of the sources."""
    warehouse = DuckDBWarehouse(database=str(tmp_path / "warehouse.duckdb"))
    with warehouse.session() as session:
        generate_sources(session.connection, customers=300, days=60, end_date=DAY)
        emails = {email for (email,) in session.fetch_all("SELECT email FROM raw.customers")}
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [*MODEL_ASSETS, profile_plan_asset(CUSTOMER_STATE)],
            partition_key=DAY.isoformat(),
            resources={"warehouse": warehouse},
            instance=instance,
        )
    assert result.success
    texts = [
        str(value.value)
        for event in result.get_asset_materialization_events()
        for value in event.materialization.metadata.values()
    ]
    planned = [
        event
        for event in result.get_asset_materialization_events()
        if event.asset_key == CUSTOMER_STATE_PLAN
    ]
    assert "@" in str(planned[0].materialization.metadata["sample_payloads"].value)
    return "\n".join(texts), {email.strip().lower() for email in emails if email and "@" in email}


def test_no_raw_email_in_the_metadata_of_a_real_build_and_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(FULL_SAMPLES, raising=False)

    text, emails = _metadata_texts(tmp_path)

    assert emails
    assert [email for email in emails if email in text.lower()] == []
    assert "***@" in text


def test_full_samples_show_the_raw_emails_for_debugging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(FULL_SAMPLES, "true")

    text, emails = _metadata_texts(tmp_path)

    assert any(email in text.lower() for email in emails)
