"""The clients' manual segment calls against the sandbox over HTTP.

Track: members are added and removed in requests of at most 1,000 ids (fewer when the
client's batch size is smaller), paced and retried like batches, and every key comes back
once, accepted or rejected; an unknown segment rejects its ids with the HTTP status. App:
segments are listed, created and their members read page by page.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from cio_sandbox.testing import SandboxHandle, running_sandbox
from resources.customerio import MembershipChange
from tests.resources.customerio.test_cio_contract import resource_for


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxHandle]:
    with running_sandbox(seed=3) as handle:
        yield handle


@pytest.fixture
def sb(sandbox: SandboxHandle) -> SandboxHandle:
    sandbox.configure(
        error_429_rate=0, error_500_rate=0, error_503_rate=0, drop_rate=0, retry_after_s=0
    )
    sandbox.reset()
    return sandbox


def _people(sb: SandboxHandle, count: int) -> list[str]:
    ids = [f"p{i}" for i in range(count)]
    for start in range(0, count, 1000):
        batch = [
            {"type": "person", "identifiers": {"id": i}, "action": "identify"}
            for i in ids[start : start + 1000]
        ]
        httpx.post(f"{sb.url}/api/v2/batch", json={"batch": batch}, auth=sb.track_auth)
    return ids


def test_members_go_in_requests_of_at_most_1000_ids_and_each_key_comes_back_once(
    sb: SandboxHandle,
) -> None:
    ids = _people(sb, 2_500)
    resource = resource_for(sb)
    with resource.app_client() as app:
        segment = app.create_segment("Audience", "made by the test")
        assert [s["name"] for s in app.segments()] == ["Audience"]
    with resource.track_client() as client:
        adds = [MembershipChange(f"k{i}", i, True) for i in ids]
        outcomes = list(client.iter_segment_changes(segment["id"], adds))

    assert [len(outcome.accepted) for outcome in outcomes] == [1000, 1000, 500]
    with resource.app_client() as app:
        assert app.segment_member_ids(segment["id"]) == set(ids)

    # Under faults, with a smaller batch size: every key back once, the segment exact.
    sb.configure(error_429_rate=0.2, error_500_rate=0.1, drop_rate=0.1, seed=5)
    with resource_for(sb, max_entries_per_batch=40).track_client() as client:
        removes = [MembershipChange(i, i, False) for i in ids[:1_000]]
        outcomes = list(client.iter_segment_changes(segment["id"], removes))
    sb.configure(error_429_rate=0, error_500_rate=0, drop_rate=0)

    keys = Counter(key for outcome in outcomes for key in outcome.accepted)
    assert set(keys) == set(ids[:1_000]) and max(keys.values()) == 1
    assert len(outcomes) == 25 and sum(outcome.retries for outcome in outcomes) > 0
    assert sorted(sb.segments()["Audience"]) == sorted(ids[1_000:])


def test_an_unknown_segment_rejects_its_ids_with_the_status(sb: SandboxHandle) -> None:
    with resource_for(sb).track_client() as client:
        changes = [MembershipChange("a", "p1", True), MembershipChange("b", "p2", False)]
        outcomes = list(client.iter_segment_changes(99, changes))

    rejected = [r for outcome in outcomes for r in outcome.rejected]
    assert sorted((r.key, r.reason, r.field) for r in rejected) == [
        ("a", "http_404", "segment_id"),
        ("b", "http_404", "segment_id"),
    ]
