"""The App API client: reads profiles, activities and segments back to check what the sync sent.

The App API allows 10 requests per second and up to 100 people per attributes request;
this client stays within both and retries 429s the way the Track client does. Identity
reconciliation finds people by email through it (``customers_by_email``). Activities are
what reveals an update Customer.io answered 200 to and then dropped (a
``failed_attribute_change``), which no Track API answer reports.
"""

from collections.abc import Generator, Iterator, Sequence
from functools import partial
from types import TracebackType
from typing import Any, Final, Self
from urllib.parse import quote

import httpx
import orjson

from resources.customerio.errors import CustomerIOAPIError, CustomerIOConfigError
from resources.customerio.limits import (
    APP_MAX_IDS_PER_REQUEST,
    APP_MAX_RPS,
    SEGMENT_MEMBERSHIP_PAGE_SIZE,
)
from resources.customerio.operations import BatchOutcome
from resources.customerio.packing import dumps
from resources.customerio.rate import RateLimiter
from resources.customerio.retry import Exhausted, RetryPolicy, send_with_retries
from resources.customerio.track import DEFAULT_TIMEOUT, USER_AGENT
from resources.customerio.urls import app_base_url, is_loopback_url, normalise_region

ATTRIBUTES_PATH: Final = "/v1/customers/attributes"
CUSTOMERS_PATH: Final = "/v1/customers"
SEGMENTS_PATH: Final = "/v1/segments"
ACTIVITIES_PAGE_SIZE: Final = 100


class _BearerAuth(httpx.Auth):
    """Bearer auth kept out of the client's default headers, so it is never printed."""

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def __repr__(self) -> str:
        return "_BearerAuth(<redacted>)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


def _customer_id(customer: dict[str, Any]) -> str | None:
    for source in (customer, customer.get("identifiers"), customer.get("attributes")):
        if isinstance(source, dict) and source.get("id") not in (None, ""):
            return str(source["id"])
    return None


def check_app_rate(max_rps: float, base_url: str) -> None:
    """Refuse an App API rate Customer.io would answer with 429s.

    Customer.io allows 10 requests/s; only a local emulator (a loopback base URL, such as the
    sandbox) may be read faster, so that a demo's first identity plan takes seconds.
    """
    if max_rps <= 0:
        raise CustomerIOConfigError("App API rate must be above 0 requests/s")
    if max_rps > APP_MAX_RPS and not is_loopback_url(base_url):
        raise CustomerIOConfigError(
            f"App API rate {max_rps:g} requests/s is above Customer.io's {APP_MAX_RPS:g}:"
            " only a local emulator (a loopback app_url) may be read faster"
        )


class AppClient:
    """Client of Customer.io's App API (reads). Use it as a context manager."""

    def __init__(
        self,
        api_key: str,
        *,
        region: str = "us",
        base_url: str | None = None,
        max_rps: float = APP_MAX_RPS,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not api_key:
            raise CustomerIOConfigError("Customer.io App API key must be set for read-back")
        self.region = normalise_region(region)
        self.base_url = app_base_url(self.region, base_url)
        check_app_rate(max_rps, self.base_url)
        self.retry = retry or RetryPolicy()
        self._limiter = RateLimiter(max_rps)
        self._http = httpx.Client(
            base_url=self.base_url,
            auth=_BearerAuth(api_key),
            headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
            timeout=timeout,
            follow_redirects=False,
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"AppClient(base_url={self.base_url!r}, region={self.region!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def customer_attributes(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Attributes of the given people by id; people Customer.io does not know are
        left out of the result.

        Raises CustomerIOAuthError on 401 and CustomerIOAPIError on any other failure.
        """
        unique = list(dict.fromkeys(str(value) for value in ids))
        found: dict[str, dict[str, Any]] = {}
        tally = BatchOutcome()
        for start in range(0, len(unique), APP_MAX_IDS_PER_REQUEST):
            body = dumps({"ids": unique[start : start + APP_MAX_IDS_PER_REQUEST]})
            result = send_with_retries(
                partial(self._http.post, ATTRIBUTES_PATH, params={"id_type": "id"}, content=body),
                api="App",
                policy=self.retry,
                limiter=self._limiter,
                tally=tally,
                body_bytes=len(body),
            )
            if isinstance(result, Exhausted):
                raise CustomerIOAPIError(f"Customer.io App API read-back: {result.describe()}")
            if result.status_code != 200:
                raise CustomerIOAPIError(
                    f"Customer.io App API read-back answered HTTP {result.status_code}",
                    result.status_code,
                )
            try:
                customers = orjson.loads(result.content).get("customers")
            except (orjson.JSONDecodeError, AttributeError):
                customers = None
            if not isinstance(customers, list):
                raise CustomerIOAPIError("Customer.io App API read-back answered no customers list")
            for customer in customers:
                if isinstance(customer, dict) and (key := _customer_id(customer)) is not None:
                    attributes = customer.get("attributes")
                    found[key] = attributes if isinstance(attributes, dict) else {}
        return found

    def _document(self, result: httpx.Response | Exhausted, what: str) -> dict[str, Any]:
        """The JSON object of a 200 answer; CustomerIOAPIError for anything else."""
        if isinstance(result, Exhausted):
            raise CustomerIOAPIError(f"Customer.io App API {what}: {result.describe()}")
        if result.status_code != 200:
            raise CustomerIOAPIError(
                f"Customer.io App API {what} answered HTTP {result.status_code}",
                result.status_code,
            )
        try:
            document = orjson.loads(result.content)
        except orjson.JSONDecodeError:
            document = None
        if not isinstance(document, dict):
            raise CustomerIOAPIError(f"Customer.io App API {what} answered no JSON object")
        return document

    def _get(
        self, path: str, params: dict[str, Any] | None = None, tally: BatchOutcome | None = None
    ) -> httpx.Response | Exhausted:
        """One GET, retried and paced within the App API limit."""
        return send_with_retries(
            partial(self._http.get, path, params=params),
            api="App",
            policy=self.retry,
            limiter=self._limiter,
            tally=tally or BatchOutcome(),
        )

    def customers_by_email(self, email: str) -> list[dict[str, str | None]]:
        """The people holding ``email`` (``GET /v1/customers?email=``), each as its ``id``
        (None for an email-only profile), ``cio_id`` and ``email``.

        Several people may share an email in a workspace that identifies by id. One request,
        retried and paced within the App API limit like every read of this client.
        """
        document = self._document(self._get(CUSTOMERS_PATH, {"email": email}), "email lookup")
        results = document.get("results")
        if not isinstance(results, list):
            raise CustomerIOAPIError("Customer.io App API answered no results list")
        return [
            {
                "id": _text_or_none(result.get("id")),
                "cio_id": _text_or_none(result.get("cio_id")),
                "email": _text_or_none(result.get("email")),
            }
            for result in results
            if isinstance(result, dict)
        ]

    def segments(self) -> list[dict[str, Any]]:
        """The workspace's segments (``GET /v1/segments``), each with its ``id`` and ``name``."""
        document = self._document(self._get(SEGMENTS_PATH), "segments")
        segments = document.get("segments")
        if not isinstance(segments, list):
            raise CustomerIOAPIError("Customer.io App API answered no segments list")
        return [segment for segment in segments if isinstance(segment, dict)]

    def create_segment(self, name: str, description: str = "") -> dict[str, Any]:
        """Create a manual segment (``POST /v1/segments``); returns it with its ``id``."""
        body = dumps({"segment": {"name": name, "description": description}})
        result = send_with_retries(
            partial(self._http.post, SEGMENTS_PATH, content=body),
            api="App",
            policy=self.retry,
            limiter=self._limiter,
            tally=BatchOutcome(),
            body_bytes=len(body),
        )
        segment = self._document(result, "segment creation").get("segment")
        if not isinstance(segment, dict) or not isinstance(segment.get("id"), int):
            raise CustomerIOAPIError("Customer.io App API created a segment without an id")
        return segment

    def segment_member_ids(self, segment_id: int) -> set[str]:
        """The ``id`` of every member of a segment (people without one are left out).

        One request per page of 30,000 members (``GET /v1/segments/{id}/membership``).
        """
        path = f"{SEGMENTS_PATH}/{int(segment_id)}/membership"
        params: dict[str, Any] = {"limit": SEGMENT_MEMBERSHIP_PAGE_SIZE}
        found: set[str] = set()
        while True:
            document = self._document(self._get(path, dict(params)), "segment membership")
            identifiers = document.get("identifiers")
            if isinstance(identifiers, list):
                found.update(
                    str(member["id"])
                    for member in identifiers
                    if isinstance(member, dict) and member.get("id") not in (None, "")
                )
            else:
                ids = document.get("ids")
                if not isinstance(ids, list):
                    raise CustomerIOAPIError("Customer.io App API answered no membership list")
                found.update(str(value) for value in ids if value not in (None, ""))
            following = document.get("next")
            if not following:
                return found
            params["start"] = following

    def customer_activities(
        self, ids: Sequence[str], *, activity_type: str, since: int | None = None
    ) -> Iterator[tuple[str, list[dict[str, Any]] | None]]:
        """Yield ``(id, activities)`` per person: their activities of ``activity_type``,
        newest first, back to unix second ``since`` when given. ``None`` for a person
        Customer.io does not know (404).

        One request per page per person, paced within the App API limit; people are
        yielded as they are read, so a caller keeps what it got if a later read fails.
        Raises CustomerIOAuthError on 401 and CustomerIOAPIError on any other failure.
        """
        tally = BatchOutcome()
        for customer_id in dict.fromkeys(str(value) for value in ids):
            yield customer_id, self._activities_of(customer_id, activity_type, since, tally)

    def _activities_of(
        self, customer_id: str, activity_type: str, since: int | None, tally: BatchOutcome
    ) -> list[dict[str, Any]] | None:
        path = f"/v1/customers/{quote(customer_id, safe='')}/activities"
        params: dict[str, Any] = {"id_type": "id", "type": activity_type}
        params["limit"] = ACTIVITIES_PAGE_SIZE
        found: list[dict[str, Any]] = []
        while True:
            page, following = self._activities_page(path, params, tally)
            if page is None:
                return None
            recent = [a for a in page if since is None or _timestamp(a) >= since]
            found.extend(recent)
            # Newest first: a page reaching back past `since` is the last one needed.
            if not following or len(recent) < len(page):
                return found
            params["start"] = following

    def _activities_page(
        self, path: str, params: dict[str, Any], tally: BatchOutcome
    ) -> tuple[list[dict[str, Any]] | None, str]:
        """One page of activities and the cursor of the next (``""`` at the end)."""
        document = self._read(path, params, "activities", tally)
        if document is None:
            return None, ""
        activities = document.get("activities")
        if not isinstance(activities, list):
            raise CustomerIOAPIError("Customer.io App API answered no activities list")
        following = document.get("next")
        return [a for a in activities if isinstance(a, dict)], str(following or "")

    def customer_segments(
        self, ids: Sequence[str]
    ) -> Iterator[tuple[str, list[dict[str, Any]] | None]]:
        """Yield ``(id, segments)`` per person: the segments they belong to (each with its
        ``id`` and ``name``), or ``None`` for a person Customer.io does not know (404).

        One request per person, paced within the App API limit. Raises CustomerIOAuthError
        on 401 and CustomerIOAPIError on any other failure.
        """
        tally = BatchOutcome()
        for customer_id in dict.fromkeys(str(value) for value in ids):
            path = f"/v1/customers/{quote(customer_id, safe='')}/segments"
            document = self._read(path, {"id_type": "id"}, "segments", tally)
            if document is None:
                yield customer_id, None
                continue
            segments = document.get("segments")
            if not isinstance(segments, list):
                raise CustomerIOAPIError("Customer.io App API answered no segments list")
            yield customer_id, [s for s in segments if isinstance(s, dict)]

    def _read(
        self, path: str, params: dict[str, Any], what: str, tally: BatchOutcome
    ) -> dict[str, Any] | None:
        """The JSON object a GET answers, or None on 404 (nobody by that id)."""
        result = self._get(path, params, tally)
        if not isinstance(result, Exhausted) and result.status_code == 404:
            return None
        return self._document(result, what)


def _text_or_none(value: object) -> str | None:
    return None if value in (None, "") else str(value)


def _timestamp(activity: dict[str, Any]) -> int:
    value = activity.get("timestamp")
    return value if isinstance(value, int) else 0
