"""Fault injection on the write paths added for objects, relationships, merges and
suppression: a faulted request applies nothing, so the client's retry is always safe, and
per-entry rejections hit object entries like person entries."""

import httpx
import pytest

from cio_sandbox.testing import SandboxHandle
from tests.cio_sandbox.operations import (
    applied,
    batch,
    identify,
    member,
    merge,
    obj,
    person,
    rejected,
)

# config rate -> the fault it injects, as the request log counts it
FAULTS = {
    "error_429_rate": "429",
    "error_500_rate": "500",
    "error_503_rate": "503",
    "drop_rate": "drop",
}


@pytest.mark.parametrize("fault", FAULTS)
def test_faulted_object_merge_and_suppress_requests_apply_nothing(
    track: httpx.Client, sandbox: SandboxHandle, fault: str
) -> None:
    applied(track, identify({"id": "a"}, x=1), identify({"email": "b@x.io"}, y=2))
    before = sandbox.people()
    sandbox.configure(**{fault: 1.0})
    writes = [
        lambda: batch(track, obj("1", "o", "identify", cio_relationships=[member({"id": "a"})])),
        lambda: batch(track, merge({"id": "a"}, {"email": "b@x.io"})),
        lambda: track.post(
            "/api/v1/merge_customers",
            json={"primary": {"id": "a"}, "secondary": {"email": "b@x.io"}},
        ),
        lambda: track.post("/api/v1/customers/a/suppress"),
        lambda: batch(track, person({"id": "a"}, "suppress")),
    ]
    for write in writes:
        if fault == "drop_rate":
            with pytest.raises(httpx.TransportError):
                write()
        else:
            assert write().status_code == int(FAULTS[fault])
    sandbox.configure(**{fault: 0.0})
    assert sandbox.people() == before
    assert (sandbox.objects(), sandbox.merges(), sandbox.suppressions()) == ({}, [], [])
    assert sandbox.stats()["faults_injected"] == {
        fault.split("_")[1] if fault != "drop_rate" else "drop": 5
    }


def test_entry_rejection_hits_object_entries_and_leaves_the_rest(
    track: httpx.Client, sandbox: SandboxHandle
) -> None:
    sandbox.configure(entry_reject_rate=0.5, seed=4)
    response = batch(
        track, *(obj("1", f"o{i}", "identify", attributes={"i": i}) for i in range(40))
    )
    errors = rejected(response)
    assert 5 <= len(errors) <= 35
    assert {reason for _, reason, _ in errors} == {"injected"}
    refused = {index for index, _, _ in errors}
    assert set(sandbox.objects()) == {("1", f"o{i}") for i in range(40) if i not in refused}
