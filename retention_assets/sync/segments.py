"""Which Customer.io manual segment a segment stream keeps: named by id, or found by name.

A spec names its segment by ``id`` (nothing to look up) or by ``name``: the send then lists the
workspace's segments through the App API (``GET /v1/segments``) and creates the manual segment
when none has that name (``POST /v1/segments``). Both happen only when the send has something
to add or remove, so an unchanged run spends no request.
"""

from __future__ import annotations

import logging

import dagster as dg

from resources.customerio import AppClient
from retention_assets.sync.stream import SyncStream


def resolve_segment(stream: SyncStream, app: AppClient | None, log: logging.Logger | None) -> int:
    """The id of the stream's segment, creating it (by name) when the workspace lacks it."""
    segment = stream.spec.segment
    assert segment is not None, "a segment stream"
    if segment.id is not None:
        return segment.id
    assert segment.name is not None  # the spec rules ensure an id or a name
    if app is None:
        raise dg.Failure(
            f"{stream.name}: segment {segment.name!r} is named by name, which is looked up"
            " through the App API: set the workspace's App API key, or name it by `id`",
            allow_retries=False,
        )
    named = [found for found in app.segments() if found.get("name") == segment.name]
    if len(named) > 1:
        ids = ", ".join(str(found.get("id")) for found in named)
        raise dg.Failure(
            f"{stream.name}: {len(named)} segments are named {segment.name!r} (ids {ids}):"
            " name the one to keep by `segment.id` in the spec",
            allow_retries=False,
        )
    if named:
        found = named[0]
        if found.get("type") not in (None, "manual"):
            raise dg.Failure(
                f"{stream.name}: segment {segment.name!r} (id {found.get('id')}) is a"
                f" {found.get('type')} segment; only a manual segment's members can be set",
                allow_retries=False,
            )
        return int(found["id"])
    created = app.create_segment(segment.name, segment.description)
    if log:
        log.info(f"{stream.name}: created manual segment {segment.name!r}, id {created['id']}")
    return int(created["id"])
