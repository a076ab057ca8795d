"""The sandbox's HTTP face: Customer.io's Track and App API routes plus ``/_sandbox/`` controls.

One aiohttp application serves both APIs from one base URL (Track under ``/api/``, App under
``/v1/``), so the same URL is both CUSTOMERIO_TRACK_URL and CUSTOMERIO_APP_URL.

A Track request is read whole, checked for Basic auth and, if it is an authorised write,
given its fault draws; then it waits ``latency_ms`` (every Track request, 401s included, plus
``slow_ms`` when drawn slow) without blocking other requests, and is answered. A faulted
request (429, 500, 503 or a dropped connection) applies nothing, so a client retry is always
safe. Whole-request problems (bad JSON, no ``batch``, oversize body) are a 400 before any
entry applies; per-entry problems in ``/v2/batch`` are a 207 listing ``batch_index`` while
every other entry applies. Manual segment membership (Track v1 ``add_customers`` and
``remove_customers``, 1 to 1,000 ids), suppress, unsuppress and merge go through the same
auth, faults and latency. The App API checks Bearer auth and then a token bucket
(``app_rate_limit``, 10 req/s by default) that answers 429 with ``Retry-After``; a person's
activities, a segment's members and relationships are listed in pages chained by ``start``
and ``next``.
``/_sandbox/`` routes need no auth: the server binds loopback unless told otherwise.

Throughput, measured on a 2-vCPU container with the load generator on the same machine
(2 processes x 2 threads, each posting pre-serialised 500-entry ``/v2/batch`` bodies, half
identify with 8 attributes, half events with ULIDs): about 100k entries/s when the machine is
otherwise idle, 45-80k while other work shares the CPUs; the handler alone does about 130k/s.
Memory is about 2.7 KB per person plus one event.
"""

import asyncio
import gc
import math
import os
import signal
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from aiohttp import BasicAuth, web

from cio_sandbox.config import SandboxConfig
from cio_sandbox.faults import FaultInjector
from cio_sandbox.ratelimit import TokenBucket
from cio_sandbox.requestlog import DEFAULT_LOG_SIZE, RequestLog
from cio_sandbox.state import Obj, Person, SandboxState, Segment
from cio_sandbox.validation import (
    BATCH_REQUEST_LIMIT,
    ENTITY_REQUEST_LIMIT,
    ENTRY_LIMIT,
    Delete,
    EntryError,
    ObjectRef,
    Operation,
    Suppress,
    Track,
    check_object_type_id,
    entry_size,
    parse_v1_event,
    parse_v1_identify,
    parse_v1_merge,
    parse_v2_operation,
    v1_path_identifier,
)
from cio_sandbox.views import (
    activity_view,
    customer_view,
    index_page,
    member_view,
    object_view,
    person_view,
    relationship_view,
    segment_view,
)

# status, JSON body, entries the request carried
Outcome = tuple[int, dict[str, Any], int]
TrackHandler = Callable[[web.Request, bytes], Outcome]
AppOutcome = tuple[int, dict[str, Any]]  # status, JSON body
AppHandler = Callable[[web.Request, bytes], AppOutcome]
Endpoint = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Every entry allocates a few long-lived dicts, which makes CPython's default collector (a pass
# every 700 allocations) cost about a third of the throughput; rarer passes recover it.
GC_THRESHOLDS = (50_000, 20, 100)
MAX_BODY = 16 * 1024 * 1024  # above the API limits, so oversize bodies get Customer.io's 400
APP_BATCH_LIMIT = 100
HTML_DEFAULT_LIMIT = 50
ID_TYPES = frozenset({"id", "email", "cio_id"})
SEGMENT_IDS_LIMIT = 1000  # ids per add_customers / remove_customers request
MEMBERSHIP_PAGE_LIMIT = 30_000  # the documented maximum ``limit`` of a membership page
OBJECT_ID_TYPES = frozenset({"object_id", "cio_object_id"})


@dataclass(frozen=True)
class Credentials:
    site_id: str
    api_key: str
    app_api_key: str


class Sandbox:
    """State, configuration and route handlers of one sandbox server."""

    def __init__(
        self,
        credentials: Credentials,
        config: SandboxConfig,
        region: str,
        request_log_size: int = DEFAULT_LOG_SIZE,
    ) -> None:
        self.state = SandboxState()
        self.config = config
        self.region = region
        self.base_url = ""  # known once the socket is bound
        self.log = RequestLog(request_log_size)
        self._credentials = credentials
        self._faults = FaultInjector(config.seed)
        self._app_limiter = TokenBucket(config.app_rate_limit)

    def build_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        add = app.router.add_route
        add("GET", "/api/v1/accounts/region", self._track(self._region, write=False))
        add("PUT", "/api/v1/customers/{id}", self._track(self._v1_identify, write=True))
        add("DELETE", "/api/v1/customers/{id}", self._track(self._v1_delete, write=True))
        add("POST", "/api/v1/customers/{id}/events", self._track(self._v1_event, write=True))
        add("POST", "/api/v1/customers/{id}/suppress", self._track(self._v1_suppress, write=True))
        add("POST", "/api/v1/customers/{id}/unsuppress", self._track(self._v1_suppress, write=True))
        add("POST", "/api/v1/merge_customers", self._track(self._v1_merge, write=True))
        add(
            "POST",
            "/api/v1/segments/{segment_id}/add_customers",
            self._track(self._segment_members, write=True),
        )
        add(
            "POST",
            "/api/v1/segments/{segment_id}/remove_customers",
            self._track(self._segment_members, write=True),
        )
        add("POST", "/api/v2/entity", self._track(self._v2_entity, write=True))
        add("POST", "/api/v2/batch", self._track(self._v2_batch, write=True))
        add("GET", "/v1/customers", self._app(self._customers_by_email))
        add("GET", "/v1/customers/{id}/attributes", self._app(self._customer))
        add("POST", "/v1/customers/attributes", self._app(self._customers))
        add("GET", "/v1/customers/{id}/activities", self._app(self._activities))
        add("GET", "/v1/customers/{id}/segments", self._app(self._customer_segments))
        add("GET", "/v1/customers/{id}/relationships", self._app(self._customer_relationships))
        add("POST", "/v1/segments", self._app(self._create_segment))
        add("GET", "/v1/segments", self._app(self._list_segments))
        add("GET", "/v1/segments/{segment_id}", self._app(self._get_segment))
        add("GET", "/v1/segments/{segment_id}/membership", self._app(self._membership))
        add("GET", "/v1/objects/{type_id}/{object_id}/attributes", self._app(self._object))
        add(
            "GET",
            "/v1/objects/{type_id}/{object_id}/relationships",
            self._app(self._object_relationships),
        )
        add("GET", "/", self._index)
        add("GET", "/_sandbox/people", self._people)
        add("GET", "/_sandbox/events", self._events)
        add("GET", "/_sandbox/objects", self._objects)
        add("GET", "/_sandbox/relationships", self._relationships)
        add("GET", "/_sandbox/segments", self._segments)
        add("GET", "/_sandbox/suppressions", self._suppressions)
        add("GET", "/_sandbox/merges", self._merges)
        add("GET", "/_sandbox/requests", self._requests)
        add("GET", "/_sandbox/stats", self._stats)
        add("POST", "/_sandbox/reset", self._reset)
        add("GET", "/_sandbox/config", self._get_config)
        add("POST", "/_sandbox/config", self._set_config)
        return app

    # Track API

    def _track(self, handler: TrackHandler, *, write: bool) -> Endpoint:
        async def endpoint(request: web.Request) -> web.StreamResponse:
            started = time.time()
            body = await request.read()
            config = self.config
            authorized = self._track_authorized(request)
            fault = self._faults.request_fault(config) if write and authorized else None
            delay = config.latency_ms
            if write and authorized and self._faults.is_slow(config):
                delay += config.slow_ms
            if delay > 0:
                await asyncio.sleep(delay / 1000)
            headers = {}
            entries = 0
            if not authorized:
                status, payload = 401, _error("unauthorized", "", "invalid site id or api key")
            elif fault == "drop":
                self._log(request, None, len(body), 0, started, fault)
                if request.transport is not None:
                    request.transport.abort()
                # aiohttp discards this response: the connection is already gone.
                return web.Response(status=204)
            elif fault is not None:
                status = int(fault)
                payload = _error("injected", "", f"sandbox fault injection: {fault}")
                if status == 429:
                    headers["Retry-After"] = str(config.retry_after_s)
            else:
                status, payload, entries = handler(request, body)
            self._log(request, status, len(body), entries, started, fault)
            return _json(status, payload, headers)

        return endpoint

    def _log(
        self,
        request: web.Request,
        status: int | None,
        size: int,
        entries: int,
        started: float,
        fault: str | None,
    ) -> None:
        self.log.record(
            request.method, request.path, status, size, entries, started, time.time(), fault
        )

    def _track_authorized(self, request: web.Request) -> bool:
        try:
            auth = BasicAuth.decode(request.headers.get("Authorization", ""))
        except ValueError:
            return False
        return (
            auth.login == self._credentials.site_id and auth.password == self._credentials.api_key
        )

    def _region(self, request: web.Request, body: bytes) -> Outcome:
        return 200, {"url": self.base_url, "region": self.region, "environment_id": 1}, 0

    def _v1_identify(self, request: web.Request, body: bytes) -> Outcome:
        document = _parse_json(body or b"{}")
        if isinstance(document, EntryError):
            return 400, {"errors": [document.as_dict()]}, 0
        return self._apply_one(lambda: parse_v1_identify(request.match_info["id"], document))

    def _v1_event(self, request: web.Request, body: bytes) -> Outcome:
        document = _parse_json(body)
        if isinstance(document, EntryError):
            return 400, {"errors": [document.as_dict()]}, 0
        return self._apply_one(lambda: parse_v1_event(request.match_info["id"], document))

    def _v1_delete(self, request: web.Request, body: bytes) -> Outcome:
        return self._apply_one(lambda: Delete("id", request.match_info["id"]))

    def _v1_suppress(self, request: web.Request, body: bytes) -> Outcome:
        """``/suppress`` or ``/unsuppress``: the identifier's type follows from its shape."""
        suppress = request.path.endswith("/suppress")

        def parse() -> Suppress:
            kind, value = v1_path_identifier(request.match_info["id"])
            return Suppress(kind, value, suppress)

        return self._apply_one(parse)

    def _v1_merge(self, request: web.Request, body: bytes) -> Outcome:
        document = _parse_json(body)
        if isinstance(document, EntryError):
            return 400, {"errors": [document.as_dict()]}, 0
        return self._apply_one(lambda: parse_v1_merge(document))

    def _segment_members(self, request: web.Request, body: bytes) -> Outcome:
        raw_id = request.match_info["segment_id"]
        if not raw_id.isdigit():
            return 400, _error("invalid", "segment_id", "segment_id must be an integer"), 0
        id_type = request.query.get("id_type", "id")
        if id_type not in ID_TYPES:
            return 400, _error("invalid", "id_type", "id_type must be id, email or cio_id"), 0
        document = _parse_json(body)
        ids = document.get("ids") if type(document) is dict else None
        if type(ids) is not list or not 1 <= len(ids) <= SEGMENT_IDS_LIMIT:
            message = f"ids must be a list of 1 to {SEGMENT_IDS_LIMIT} ids"
            return 400, _error("invalid", "ids", message), 0
        if any(type(value) not in (str, int) or type(value) is bool for value in ids):
            return 400, _error("invalid", "ids", "ids must be strings"), 0
        segment = self.state.segments.get(int(raw_id))
        if segment is None:
            return 404, _error("not_found", "segment_id", "segment not found"), len(ids)
        # Values that cannot be of id_type are ignored, as Customer.io documents.
        values = [str(value) for value in ids]
        if id_type == "email":
            values = [value for value in values if "@" in value]
        add = request.path.endswith("/add_customers")
        ignored = self.state.change_membership(segment, id_type, values, add)
        ignored += len(ids) - len(values)
        self.state.membership_ids_ignored += ignored
        self.state.entries_accepted += len(ids)
        return 200, {}, len(ids)

    def _v2_entity(self, request: web.Request, body: bytes) -> Outcome:
        if len(body) >= ENTITY_REQUEST_LIMIT:
            return 400, _error("too_large", "", "an entity request must be under 32 KB"), 0
        document = _parse_json(body)
        if isinstance(document, EntryError):
            return 400, {"errors": [document.as_dict()]}, 0
        return self._apply_one(lambda: parse_v2_operation(document))

    def _v2_batch(self, request: web.Request, body: bytes) -> Outcome:
        if len(body) >= BATCH_REQUEST_LIMIT:
            return 400, _error("too_large", "", "a batch request must be under 500 KB"), 0
        document = _parse_json(body)
        if isinstance(document, EntryError):
            return 400, {"errors": [document.as_dict()]}, 0
        batch = document.get("batch") if type(document) is dict else None
        if type(batch) is not list:
            return 400, _error("required", "batch", "batch must be a list of operations"), 0
        # No entry can exceed the entry limit when the whole body is within it.
        measure = len(body) > ENTRY_LIMIT
        state, faults, config = self.state, self._faults, self.config
        errors = []
        for index, op in enumerate(batch):
            try:
                if measure and entry_size(op) > ENTRY_LIMIT:
                    raise EntryError("too_large", "", "an entry must be 32 KB or less")
                if faults.rejects_entry(config):
                    raise EntryError("injected", "", "sandbox fault injection: entry rejected")
                parsed = parse_v2_operation(op)
                if type(parsed) is Track:
                    parsed.failed = faults.fails_event(config)
                state.apply(parsed)
            except EntryError as error:
                errors.append(error.as_dict(index))
        state.entries_accepted += len(batch) - len(errors)
        state.entries_rejected += len(errors)
        if errors:
            return 207, {"errors": errors}, len(batch)
        return 200, {}, len(batch)

    def _apply_one(self, parse: Callable[[], Operation]) -> Outcome:
        """Apply a single-operation request: any problem rejects the whole request with 400."""
        try:
            parsed = parse()
            if type(parsed) is Track:
                parsed.failed = self._faults.fails_event(self.config)
            self.state.apply(parsed)
        except EntryError as error:
            self.state.entries_rejected += 1
            return 400, {"errors": [error.as_dict()]}, 1
        self.state.entries_accepted += 1
        return 200, {}, 1

    # App API

    def _app(self, handler: AppHandler) -> Endpoint:
        async def endpoint(request: web.Request) -> web.StreamResponse:
            started = time.time()
            body = await request.read()
            headers = {}
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or token != self._credentials.app_api_key:
                status, payload = 401, _app_error(401, "invalid app api key")
            elif (wait := self._app_limiter.acquire()) > 0:
                status, payload = 429, _app_error(429, "rate limit exceeded")
                headers["Retry-After"] = str(max(1, math.ceil(wait)))
            else:
                status, payload = handler(request, body)
            self._log(request, status, len(body), 0, started, None)
            return _json(status, payload, headers)

        return endpoint

    def _customer(self, request: web.Request, body: bytes) -> AppOutcome:
        id_type = request.query.get("id_type", "id")
        if id_type not in ID_TYPES:
            return 400, _app_error(400, "id_type must be id, email or cio_id")
        person = self.state.find(id_type, request.match_info["id"])
        if person is None:
            return 404, _app_error(404, "customer not found")
        return 200, {"customer": customer_view(person)}

    def _customers(self, request: web.Request, body: bytes) -> AppOutcome:
        id_type = request.query.get("id_type", "id")
        if id_type not in ID_TYPES:
            return 400, _app_error(400, "id_type must be id, email or cio_id")
        document = _parse_json(body)
        ids = document.get("ids") if type(document) is dict else None
        if type(ids) is not list or not 1 <= len(ids) <= APP_BATCH_LIMIT:
            return 400, _app_error(400, f"ids must be a list of 1 to {APP_BATCH_LIMIT} ids")
        found = (self.state.find(id_type, str(value)) for value in ids)
        return 200, {"customers": [customer_view(person) for person in found if person]}

    def _activities(self, request: web.Request, body: bytes) -> AppOutcome:
        id_type = request.query.get("id_type", "id")
        if id_type not in ID_TYPES:
            return 400, _app_error(400, "id_type must be id, email or cio_id")
        limit = _query_int(request, "limit", 100)
        # The page cursor: opaque to clients, which pass back the ``next`` they were given.
        start = _query_int(request, "start", 0)
        if limit is None or start is None:
            return 400, _app_error(400, "limit and start must be non-negative integers")
        person = self.state.find(id_type, request.match_info["id"])
        if person is None:
            return 404, _app_error(404, "customer not found")
        wanted = request.query.get("type")
        activities = [
            activity_view(person, activity)
            for activity in reversed(person["activities"])
            if wanted is None or activity["type"] == wanted
        ]
        end = start + limit
        following = str(end) if limit and end < len(activities) else ""
        return 200, {"activities": activities[start:end], "next": following}

    def _customers_by_email(self, request: web.Request, body: bytes) -> AppOutcome:
        email = request.query.get("email")
        if not email:
            return 400, _app_error(400, "email is required")
        person = self.state.find("email", email)
        if person is None:
            return 200, {"results": []}
        identifiers = customer_view(person)["identifiers"]
        return 200, {"results": [{"email": None, "id": None, **identifiers}]}

    def _customer_segments(self, request: web.Request, body: bytes) -> AppOutcome:
        person = self._addressed_person(request)
        if isinstance(person, tuple):
            return person
        segments = self.state.segments_of(person)
        return 200, {"segments": [segment_view(segment) for segment in segments]}

    def _customer_relationships(self, request: web.Request, body: bytes) -> AppOutcome:
        person = self._addressed_person(request)
        if isinstance(person, tuple):
            return person
        objects = self.state.relations.get(person["cio_id"], {})
        listed = [
            relationship_view(self.state.objects[cio_object_id], attributes)
            for cio_object_id, attributes in objects.items()
        ]
        return _paged(request, "cio_relationships", listed, 100)

    def _addressed_person(self, request: web.Request) -> Person | AppOutcome:
        """The person the path names (with ``id_type``), or the (status, body) refusal."""
        id_type = request.query.get("id_type", "id")
        if id_type not in ID_TYPES:
            return 400, _app_error(400, "id_type must be id, email or cio_id")
        person = self.state.find(id_type, request.match_info["id"])
        if person is None:
            return 404, _app_error(404, "customer not found")
        return person

    def _create_segment(self, request: web.Request, body: bytes) -> AppOutcome:
        document = _parse_json(body)
        segment = document.get("segment") if type(document) is dict else None
        name = segment.get("name") if type(segment) is dict else None
        if type(name) is not str or not name.strip():
            return 400, _app_error(400, "segment.name is required")
        assert type(segment) is dict
        description = segment.get("description", "")
        if type(description) is not str:
            return 400, _app_error(400, "segment.description must be a string")
        created = self.state.create_segment(name, description, int(time.time()))
        return 200, {"segment": segment_view(created)}

    def _list_segments(self, request: web.Request, body: bytes) -> AppOutcome:
        return 200, {"segments": [segment_view(s) for s in self.state.segments.values()]}

    def _get_segment(self, request: web.Request, body: bytes) -> AppOutcome:
        segment = self._addressed_segment(request)
        if isinstance(segment, tuple):
            return segment
        return 200, {"segment": segment_view(segment)}

    def _membership(self, request: web.Request, body: bytes) -> AppOutcome:
        segment = self._addressed_segment(request)
        if isinstance(segment, tuple):
            return segment
        limit = _query_int(request, "limit", MEMBERSHIP_PAGE_LIMIT)
        start = _query_int(request, "start", 0)
        if limit is None or start is None or not 1 <= limit <= MEMBERSHIP_PAGE_LIMIT:
            message = f"limit must be 1 to {MEMBERSHIP_PAGE_LIMIT}; start a token from next"
            return 400, _app_error(400, message)
        cio_ids = list(segment["members"])
        page = [member_view(self.state.people[cio_id]) for cio_id in cio_ids[start : start + limit]]
        following = str(start + limit) if start + limit < len(cio_ids) else ""
        ids = [identifiers["id"] or "" for identifiers in page]
        return 200, {"identifiers": page, "ids": ids, "next": following}

    def _addressed_segment(self, request: web.Request) -> Segment | AppOutcome:
        raw_id = request.match_info["segment_id"]
        segment = self.state.segments.get(int(raw_id)) if raw_id.isdigit() else None
        if segment is None:
            return 404, _app_error(404, "segment not found")
        return segment

    def _object(self, request: web.Request, body: bytes) -> AppOutcome:
        obj = self._addressed_object(request)
        if isinstance(obj, tuple):
            return obj
        return 200, {"object": object_view(obj)}

    def _object_relationships(self, request: web.Request, body: bytes) -> AppOutcome:
        obj = self._addressed_object(request)
        if isinstance(obj, tuple):
            return obj
        members = self.state.members.get(obj["cio_object_id"], {})
        listed = [
            {
                "identifiers": member_view(self.state.people[cio_id]),
                "relationship_attributes": attributes,
            }
            for cio_id, attributes in members.items()
        ]
        return _paged(request, "cio_relationships", listed, 100)

    def _addressed_object(self, request: web.Request) -> Obj | AppOutcome:
        id_type = request.query.get("id_type", "object_id")
        if id_type not in OBJECT_ID_TYPES:
            return 400, _app_error(400, "id_type must be object_id or cio_object_id")
        try:
            type_id = check_object_type_id(request.match_info["type_id"], "object_type_id")
        except EntryError as error:
            return 400, _app_error(400, error.message)
        object_id = request.match_info["object_id"]
        if id_type == "cio_object_id":
            obj = self.state.objects.get(object_id)
            if obj is not None and obj["object_type_id"] != type_id:
                obj = None
        else:
            obj = self.state.find_object(ObjectRef(type_id, object_id))
        if obj is None:
            return 404, _app_error(404, "object not found")
        return obj

    # /_sandbox/ controls

    async def _index(self, request: web.Request) -> web.StreamResponse:
        limit = _query_int(request, "limit", HTML_DEFAULT_LIMIT)
        if limit is None:
            return web.Response(status=400, text="limit must be a non-negative integer")
        return web.Response(text=index_page(self.state, limit), content_type="text/html")

    async def _people(self, request: web.Request) -> web.StreamResponse:
        people = list(self.state.people.values())
        page = _page(request, people)
        if page is None:
            return _json(400, {"errors": [{"message": "limit/offset must be integers >= 0"}]})
        return _json(200, {"count": len(people), "people": [person_view(p) for p in page]})

    async def _events(self, request: web.Request) -> web.StreamResponse:
        page = _page(request, self.state.events)
        if page is None:
            return _json(400, {"errors": [{"message": "limit/offset must be integers >= 0"}]})
        return _json(200, {"count": len(self.state.events), "events": page})

    async def _objects(self, request: web.Request) -> web.StreamResponse:
        objects = list(self.state.objects.values())
        page = _page(request, objects)
        if page is None:
            return _json(400, {"errors": [{"message": "limit/offset must be integers >= 0"}]})
        return _json(200, {"count": len(objects), "objects": [object_view(o) for o in page]})

    async def _relationships(self, request: web.Request) -> web.StreamResponse:
        """Every relationship: the person, the object and the relationship attributes."""
        state = self.state
        listed = [
            {
                "person": member_view(state.people[cio_id]),
                **relationship_view(state.objects[cio_object_id], attributes),
            }
            for cio_id, objects in state.relations.items()
            for cio_object_id, attributes in objects.items()
        ]
        page = _page(request, listed)
        if page is None:
            return _json(400, {"errors": [{"message": "limit/offset must be integers >= 0"}]})
        return _json(200, {"count": len(listed), "relationships": page})

    async def _segments(self, request: web.Request) -> web.StreamResponse:
        """Segments with their members' identifiers, in the order they joined."""
        people = self.state.people
        listed = [
            {
                **segment_view(segment),
                "members": [member_view(people[cio_id]) for cio_id in segment["members"]],
            }
            for segment in self.state.segments.values()
        ]
        return _json(200, {"count": len(listed), "segments": listed})

    async def _suppressions(self, request: web.Request) -> web.StreamResponse:
        listed = self.state.suppressions()
        return _json(200, {"count": len(listed), "suppressions": listed})

    async def _merges(self, request: web.Request) -> web.StreamResponse:
        return _json(200, {"count": len(self.state.merges), "merges": self.state.merges})

    async def _requests(self, request: web.Request) -> web.StreamResponse:
        limit = _query_int(request, "limit", None)
        if limit is None and "limit" in request.query:
            return _json(400, {"errors": [{"message": "limit must be an integer >= 0"}]})
        return _json(200, {"requests": self.log.records(limit)})

    async def _stats(self, request: web.Request) -> web.StreamResponse:
        return _json(200, {**self.state.stats(), **self.log.stats()})

    async def _reset(self, request: web.Request) -> web.StreamResponse:
        """Forget people, events, counters and the request log; the config stays as it is."""
        self.state.reset()
        self.log.reset()
        self._app_limiter.reset()
        self._faults.reseed(self.config.seed)
        return _json(200, {})

    async def _get_config(self, request: web.Request) -> web.StreamResponse:
        return _json(200, self.config.as_dict())

    async def _set_config(self, request: web.Request) -> web.StreamResponse:
        changes = _parse_json(await request.read())
        if type(changes) is not dict:
            return _json(400, {"errors": [{"message": "body must be a JSON object"}]})
        try:
            config = self.config.updated(changes)
        except ValueError as error:
            return _json(400, {"errors": [{"message": str(error)}]})
        self.config = config
        if "seed" in changes:
            self._faults.reseed(config.seed)
        self._app_limiter.set_rate(config.app_rate_limit)
        return _json(200, config.as_dict())


async def serve(
    sandbox: Sandbox,
    host: str,
    port: int,
    state_file: Path | None,
    announce: Callable[[str], None],
) -> None:
    """Serve until SIGTERM/SIGINT; ``announce`` gets the base URL once the socket listens."""
    gc.set_threshold(*GC_THRESHOLDS)
    if state_file is not None and state_file.exists():
        sandbox.state.restore(orjson.loads(state_file.read_bytes()))
    runner = web.AppRunner(sandbox.build_app(), access_log=None, handle_signals=False)
    await runner.setup()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    await web.SockSite(runner, sock, backlog=1024).start()
    bound_port = sock.getsockname()[1]
    sandbox.base_url = f"http://{f'[{host}]' if family == socket.AF_INET6 else host}:{bound_port}"
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    announce(sandbox.base_url)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        if state_file is not None:
            partial = state_file.with_name(state_file.name + ".tmp")
            partial.write_bytes(orjson.dumps(sandbox.state.snapshot()))
            os.replace(partial, state_file)


def _parse_json(body: bytes) -> Any:
    """The parsed document, or an EntryError describing why it is not JSON."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return EntryError("invalid", "body", "body is not valid JSON")


def _error(reason: str, field: str, message: str) -> dict[str, Any]:
    return {"errors": [{"reason": reason, "field": field, "message": message}]}


def _app_error(status: int, detail: str) -> dict[str, Any]:
    return {"errors": [{"status": str(status), "detail": detail}]}


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=orjson.dumps(payload), status=status, headers=headers, content_type="application/json"
    )


def _query_int(request: web.Request, name: str, default: int | None) -> int | None:
    """The query parameter as an int >= 0, ``default`` when absent, None when malformed."""
    raw = request.query.get(name)
    if raw is None:
        return default
    return int(raw) if raw.isdigit() else None


def _paged(request: web.Request, key: str, items: list[Any], default_limit: int) -> AppOutcome:
    """An App API page of ``items`` under ``key``, chained by ``start`` and ``next``."""
    limit = _query_int(request, "limit", default_limit)
    start = _query_int(request, "start", 0)
    if limit is None or start is None:
        return 400, _app_error(400, "limit and start must be non-negative integers")
    end = start + limit
    following = str(end) if limit and end < len(items) else ""
    return 200, {key: items[start:end], "next": following}


def _page(request: web.Request, items: list[Any]) -> list[Any] | None:
    offset = _query_int(request, "offset", 0)
    limit = _query_int(request, "limit", len(items))
    if offset is None or limit is None:
        return None
    return items[offset : offset + limit]
