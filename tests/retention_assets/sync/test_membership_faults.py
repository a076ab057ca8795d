"""Membership streams under faults and crashes: afterwards Customer.io holds exactly the pairs.

429s, 5xx, dropped connections and (relationships, through the v2 batch) per-entry
rejections, then a clean run: the relationships and the segment equal their relations, every
rejection resolved. A send killed with SIGKILL part-way resumes exactly, and the run after the
resume sends nothing.
"""

from __future__ import annotations

import pytest

from tests.retention_assets.sync import test_relationship_sync as relationships
from tests.retention_assets.sync import test_segment_sync as segments
from tests.retention_assets.sync.harness import SyncHarness, fault_suite, metadata_of
from tests.retention_assets.sync.killed_sync import kill_mid_sync
from tests.warehouses import duckdb_only

FAULTS = fault_suite(seed=11)
REL = relationships.STREAM
SEG = segments.STREAM
TYPE_ID = relationships.TYPE_ID


def _pairs(count: int) -> list[tuple[str, str]]:
    return [(f"c{i:04}", f"p{i % 7}") for i in range(count)]


def _put_pairs(harness: SyncHarness, count: int) -> None:
    relationships.put_members(
        harness, [relationships.member(c, p, points=i) for i, (c, p) in enumerate(_pairs(count))]
    )


def _assert_exact_relationships(harness: SyncHarness, count: int) -> None:
    held = harness.sandbox.relationships()
    assert sorted(held) == sorted((c, TYPE_ID, p) for c, p in _pairs(count))
    assert all(held[(c, TYPE_ID, p)]["points"] == i for i, (c, p) in enumerate(_pairs(count)))
    assert harness.query(f"SELECT count(*) FROM {REL.schema}.membership_ledger WHERE present") == [
        (count,)
    ]


@pytest.mark.duckdb_only  # its statements run on fakesnow in other cases
def test_relationship_faults_and_rejections_converge(
    membership: SyncHarness,
) -> None:
    count = 300
    _put_pairs(membership, count)
    membership.customerio = membership.customerio_resource(max_entries_per_batch=10)
    membership.sandbox.configure(**FAULTS)

    first = metadata_of(relationships.sync(membership), REL.send_key.to_user_string())

    assert first["rejected"] > 0 and first["retries"] > 0
    assert first["accepted"] + first["rejected"] == count
    open_rejections = membership.query(
        f"SELECT count(*) FROM {REL.schema}.rejected_rows WHERE resolved_at IS NULL"
    )[0][0]
    assert open_rejections == first["rejected"]

    membership.sandbox.configure(entry_reject_rate=0.0)
    relationships.sync(membership)

    _assert_exact_relationships(membership, count)
    assert membership.query(
        f"SELECT count(*) FROM {REL.schema}.rejected_rows WHERE resolved_at IS NULL"
    ) == [(0,)]
    membership.sandbox.configure(**{name: 0.0 for name in FAULTS if name.endswith("_rate")})
    again = metadata_of(relationships.sync(membership), REL.send_key.to_user_string())
    assert again["planned"] == again["requests"] == 0


@pytest.mark.duckdb_only  # its statements run on fakesnow in other cases
def test_segment_faults_converge(membership: SyncHarness) -> None:
    ids = [f"c{i:05}" for i in range(2_000)]
    segments.identify(membership.sandbox, ids)
    segments.put_audience(membership, ids)
    membership.customerio = membership.customerio_resource(max_entries_per_batch=100)
    membership.sandbox.configure(**FAULTS)

    first = metadata_of(segments.sync(membership), SEG.send_key.to_user_string())
    membership.sandbox.configure(**{name: 0.0 for name in FAULTS if name.endswith("_rate")})
    segments.sync(membership)

    assert first["retries"] > 0 and first["requests"] > 20
    assert sorted(membership.sandbox.segments()[segments.SEGMENT]) == ids
    assert membership.query(
        f"SELECT count(*) FROM {SEG.schema}.membership_ledger WHERE present"
    ) == [(len(ids),)]
    again = metadata_of(segments.sync(membership), SEG.send_key.to_user_string())
    assert again["planned"] == again["requests"] == 0


@duckdb_only
def test_kill_minus_nine_mid_relationship_sync_then_rerun_is_exact(membership: SyncHarness) -> None:
    count = 600
    _put_pairs(membership, count)
    # 40 pairs/s: by 200 the send has flushed acknowledgements (every 2 s) at least twice.
    kill_mid_sync(
        membership,
        None,
        None,
        lambda: membership.sandbox.stats()["relationships"] >= 200,
        specs=[relationships.SPEC],
        max_rps=2,
        entries_per_batch=20,
        timeout_seconds=60,
    )
    assert 0 < membership.sandbox.stats()["relationships"] < count

    resumed = metadata_of(relationships.sync(membership), REL.send_key.to_user_string())

    assert resumed["planned"] < count
    _assert_exact_relationships(membership, count)
    before = len(membership.sandbox.requests())
    again = metadata_of(relationships.sync(membership), REL.send_key.to_user_string())
    assert again["planned"] == again["requests"] == 0
    assert len(membership.sandbox.requests()) == before


@duckdb_only
def test_kill_minus_nine_mid_segment_sync_then_rerun_is_exact(membership: SyncHarness) -> None:
    ids = [f"c{i:05}" for i in range(600)]
    segments.identify(membership.sandbox, ids)
    segments.put_audience(membership, ids)
    kill_mid_sync(
        membership,
        None,
        None,
        lambda: len(membership.sandbox.segments().get(segments.SEGMENT, [])) >= 200,
        specs=[segments.SPEC],
        max_rps=2,
        entries_per_batch=20,
        timeout_seconds=60,
    )
    assert 0 < len(membership.sandbox.segments()[segments.SEGMENT]) < len(ids)

    resumed = metadata_of(segments.sync(membership), SEG.send_key.to_user_string())

    assert resumed["planned"] < len(ids)
    assert sorted(membership.sandbox.segments()[segments.SEGMENT]) == ids
    # One segment, found again by name, not created twice.
    assert list(membership.sandbox.segments()) == [segments.SEGMENT]
    before = len(membership.sandbox.requests())
    again = metadata_of(segments.sync(membership), SEG.send_key.to_user_string())
    assert again["planned"] == again["requests"] == 0
    assert len(membership.sandbox.requests()) == before
