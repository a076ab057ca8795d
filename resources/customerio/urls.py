"""Region hosts and base-URL safety checks.

Credentials travel in headers, so a base URL is the one setting that can leak them: this
module refuses plain HTTP to anything but loopback, and URLs carrying user info, a query or a
fragment (the places a key is pasted into a URL). A refused URL is never echoed whole: the
errors show it with those parts masked, so no part of a key reaches a log or a traceback.
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


def shown_url(url: str) -> str:
    """``url`` as an error may show it: user info, query and fragment masked as ``***``.

    Only for a URL whose scheme and host were found; anything else may be a key pasted
    without a scheme and is not shown at all.
    """
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    try:
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        port = ":***"
    return (
        f"{parts.scheme}://{'***@' if '@' in parts.netloc else ''}{host}{port}{parts.path}"
        f"{'?***' if parts.query else ''}{'#***' if parts.fragment else ''}"
    )


def checked_base_url(url: str) -> str:
    """Validate a base URL and return it without a trailing slash.

    https is always allowed; http only to loopback, where a local sandbox runs.
    """
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        # Not shown: without a scheme and host, the text may be a key in any of its parts.
        raise CustomerIOConfigError(
            "Customer.io base URL must be an absolute http(s) URL such as "
            "https://track.customer.io (the value is not shown: it may hold a credential)"
        )
    if "@" in parts.netloc:
        raise CustomerIOConfigError(
            f"Customer.io base URL must not contain user info, got {shown_url(url)}; "
            "credentials come from the site_id/api_key settings"
        )
    if parts.query or parts.fragment or url.strip().endswith(("?", "#")):
        raise CustomerIOConfigError(
            f"Customer.io base URL must not have a query or fragment, got {shown_url(url)}; "
            "credentials come from the site_id/api_key settings"
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


def is_loopback_url(url: str) -> bool:
    """True for a base URL whose host is loopback: a local emulator, never Customer.io."""
    return is_loopback_host(urlsplit(url.strip()).hostname or "")
