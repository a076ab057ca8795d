"""Region hosts and base-URL safety checks.

Credentials travel in headers, so a base URL is the one setting that can leak them: this
module refuses plain HTTP to anything but loopback, and URLs carrying user info.
"""

import ipaddress
from typing import Final
from urllib.parse import urlsplit

from resources.customerio.errors import CustomerIOConfigError

REGIONS: Final = ("us", "eu")
TRACK_HOSTS: Final = {"us": "https://track.customer.io", "eu": "https://track-eu.customer.io"}
APP_HOSTS: Final = {"us": "https://api.customer.io", "eu": "https://api-eu.customer.io"}


def normalise_region(region: str) -> str:
    """Return the region in lower case, or raise if it is not one Customer.io has."""
    value = region.strip().lower()
    if value not in REGIONS:
        raise CustomerIOConfigError(
            f"Unknown Customer.io region {region!r}: expected one of {', '.join(REGIONS)}"
        )
    return value


def is_loopback_host(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1 (the only hosts allowed over plain HTTP)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def checked_base_url(url: str) -> str:
    """Validate a base URL and return it without a trailing slash.

    https is always allowed; http only to loopback, where a local sandbox runs.
    """
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise CustomerIOConfigError(
            f"Customer.io base URL must be an absolute http(s) URL, got scheme "
            f"{parts.scheme!r} and host {host!r}"
        )
    if parts.username is not None or parts.password is not None:
        raise CustomerIOConfigError(
            "Customer.io base URL must not contain user info; credentials come from "
            "the site_id/api_key settings"
        )
    if parts.scheme == "http" and not is_loopback_host(host):
        raise CustomerIOConfigError(
            f"Refusing plain http:// to {host!r}: credentials are only sent over https, "
            "except to a loopback host (127.0.0.0/8, ::1, localhost)"
        )
    return url.strip().rstrip("/")


def track_base_url(region: str, override: str | None = None) -> str:
    """The Track API base URL: the override when given, else the region's host."""
    return checked_base_url(override or TRACK_HOSTS[normalise_region(region)])


def app_base_url(region: str, override: str | None = None) -> str:
    """The App API base URL: the override when given, else the region's host."""
    return checked_base_url(override or APP_HOSTS[normalise_region(region)])
