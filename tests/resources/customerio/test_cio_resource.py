"""CustomerIOResource: configuration from the environment, redaction, client construction.

The environment is read by ``retention_assets.settings`` and bound by
``retention_assets.bindings``; the resource itself reads none.
"""

import traceback

import dagster as dg
import pytest

from resources.customerio import CustomerIOConfigError, CustomerIOResource
from resources.customerio.urls import checked_base_url
from retention_assets.bindings import customerio_resource
from retention_assets.settings import SettingsError, load_settings

SECRETS = ("track-key-s3cret-value", "app-key-s3cret-value")


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (
        "CUSTOMERIO_REGION",
        "CUSTOMERIO_TRACK_URL",
        "CUSTOMERIO_APP_URL",
        "CUSTOMERIO_MAX_RPS",
        "CUSTOMERIO_CONCURRENCY",
        "CUSTOMERIO_APP_API_KEY",
        "CUSTOMERIO_APP_MAX_RPS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CUSTOMERIO_SITE_ID", "site-123")
    monkeypatch.setenv("CUSTOMERIO_API_KEY", SECRETS[0])
    return monkeypatch


def customerio_resource_from_env() -> CustomerIOResource:
    return customerio_resource(load_settings().customerio)


def test_from_env_resolves_secrets_at_run_time_and_redacts_them(env: pytest.MonkeyPatch) -> None:
    env.setenv("CUSTOMERIO_APP_API_KEY", SECRETS[1])
    env.setenv("CUSTOMERIO_REGION", "EU")
    env.setenv("CUSTOMERIO_TRACK_URL", "http://127.0.0.1:9999")
    env.setenv("CUSTOMERIO_MAX_RPS", "75.5")
    env.setenv("CUSTOMERIO_CONCURRENCY", "3")
    resource = customerio_resource_from_env()
    seen: dict[str, object] = {}

    @dg.asset
    def probe(customerio: CustomerIOResource) -> None:
        seen["texts"] = [repr(customerio), str(customerio)]
        seen["keys"] = (customerio.api_key, customerio.app_api_key)
        with customerio.track_client() as track, customerio.app_client() as app:
            seen["track"] = (track.base_url, track.region, track.concurrency, repr(track))
            seen["app"] = (app.base_url, repr(app))

    assert dg.materialize([probe], resources={"customerio": resource}).success
    assert seen["keys"] == SECRETS
    assert seen["track"][:3] == ("http://127.0.0.1:9999", "eu", 3)
    assert "max_rps=75.5" in seen["track"][3]
    assert seen["app"][0] == "https://api-eu.customer.io"
    texts = "\n".join([*seen["texts"], seen["track"][3], seen["app"][1]])
    assert "**********" in texts
    assert not any(secret in texts for secret in SECRETS)


def test_from_env_defaults(env: pytest.MonkeyPatch) -> None:
    resource = customerio_resource_from_env()
    assert (resource.region, resource.max_rps, resource.concurrency) == ("us", 50.0, 8)
    assert resource.app_api_key is None


def test_bad_numbers_in_env_are_reported(env: pytest.MonkeyPatch) -> None:
    env.setenv("CUSTOMERIO_MAX_RPS", "fast")
    with pytest.raises(SettingsError, match="CUSTOMERIO_MAX_RPS"):
        customerio_resource_from_env()


def test_the_app_api_rate_of_a_local_sandbox_comes_from_env(env: pytest.MonkeyPatch) -> None:
    env.setenv("CUSTOMERIO_APP_URL", "http://127.0.0.1:9999")
    env.setenv("CUSTOMERIO_APP_MAX_RPS", "500")
    assert customerio_resource_from_env().app_max_rps == 500
    env.setenv("CUSTOMERIO_APP_MAX_RPS", "quick")
    with pytest.raises(SettingsError, match="CUSTOMERIO_APP_MAX_RPS"):
        customerio_resource_from_env()


def test_an_unknown_region_in_env_is_reported_by_name(env: pytest.MonkeyPatch) -> None:
    env.setenv("CUSTOMERIO_REGION", "apac")
    with pytest.raises(SettingsError, match="CUSTOMERIO_REGION"):
        customerio_resource_from_env()


def test_repr_and_str_redact_keys() -> None:
    resource = CustomerIOResource(site_id="s", api_key=SECRETS[0], app_api_key=SECRETS[1])
    for text in (repr(resource), str(resource)):
        assert "api_key='**********'" in text or "api_key=**********" in text
        assert not any(secret in text for secret in SECRETS)


@pytest.mark.parametrize(
    "settings",
    [
        {"region": "apac"},
        {"track_url": "http://track.customer.io"},
        {"app_url": "http://192.168.1.10:8080"},
        {"batch_max_bytes": 500_000},
        {"max_rps": 0},
        {"max_rps": 5000},
        {"concurrency": 0},
        {"app_max_rps": 11},
        {"app_max_rps": 0},
        # Customer.io's own host, or a proxy of it: never above its 10/s.
        {"app_max_rps": 500, "app_url": "https://api-eu.customer.io"},
    ],
)
def test_invalid_settings_are_refused_at_configuration(settings: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        CustomerIOResource(site_id="s", api_key="k", **settings)  # type: ignore[arg-type]


def test_a_local_emulator_alone_may_be_read_faster_than_customerio_allows() -> None:
    local = CustomerIOResource(
        site_id="s", api_key="k", app_api_key="a", app_url="http://127.0.0.1:9", app_max_rps=500
    )
    with local.app_client() as client:
        assert client.base_url == "http://127.0.0.1:9"
    with pytest.raises(ValueError, match="only a local emulator"):
        CustomerIOResource(site_id="s", api_key="k", app_max_rps=500)


def test_app_client_needs_an_app_key_and_names_where_it_is_configured() -> None:
    with pytest.raises(CustomerIOConfigError, match="set app_api_key"):
        CustomerIOResource(site_id="s", api_key="k").app_client()
    configured = CustomerIOResource(site_id="s", api_key="k", app_api_key_source="CRM_APP_KEY")
    with pytest.raises(CustomerIOConfigError, match="set CRM_APP_KEY"):
        configured.app_client()


def test_track_client_carries_the_settings() -> None:
    resource = CustomerIOResource(
        site_id="s", api_key="k", region="eu", batch_max_bytes=100_000, max_retries=2
    )
    with resource.track_client() as client:
        assert client.base_url == "https://track-eu.customer.io"
        assert client.batch_max_bytes == 100_000
        assert client.retry.max_retries == 2


# A key no other text in an error could contain by chance, in every place a URL can carry it.
KEY = "Zq8xK3vW9pL2mN7r"
URLS_WITH_A_KEY = [
    f"https://site-123:{KEY}@track.example.com",
    f"https://{KEY}@track.example.com",
    f"https://{KEY}:x@track.example.com",
    f"https://track.example.com/v2?api_key={KEY}",
    f"https://track.example.com/v2?{KEY}",
    f"https://track.example.com/#{KEY}",
    f"http://track.example.com/?api_key={KEY}",
    f"http://site:{KEY}@track.example.com",
    f"ftp://site:{KEY}@track.example.com",
    f"https://site:{KEY}@",
]


def _leaks(text: str) -> list[str]:
    """The pieces of the key (four characters or more) found in ``text``."""
    return [KEY[i : i + 4] for i in range(len(KEY) - 3) if KEY[i : i + 4] in text]


def _error_texts(error: BaseException) -> str:
    return "\n".join([str(error), repr(error), *traceback.format_exception(error)])


@pytest.mark.parametrize("url", URLS_WITH_A_KEY)
def test_a_url_carrying_a_key_is_refused_without_any_part_of_it_in_the_error(url: str) -> None:
    with pytest.raises(ValueError) as refused:
        CustomerIOResource(site_id="s", api_key="k", track_url=url)

    assert _leaks(_error_texts(refused.value)) == []


@pytest.mark.parametrize("url", URLS_WITH_A_KEY)
def test_a_url_setting_carrying_a_key_is_refused_by_name_without_any_part_of_it(
    env: pytest.MonkeyPatch, url: str
) -> None:
    env.setenv("CUSTOMERIO_APP_URL", url)

    with pytest.raises(SettingsError, match="CUSTOMERIO_APP_URL") as refused:
        customerio_resource_from_env()

    assert _leaks(_error_texts(refused.value)) == []


def test_a_refused_url_is_named_by_its_host_with_the_credentials_masked() -> None:
    with pytest.raises(CustomerIOConfigError) as refused:
        checked_base_url(f"https://site-123:{KEY}@track.example.com/v2?api_key={KEY}")

    assert "https://***@track.example.com/v2?***" in str(refused.value)
