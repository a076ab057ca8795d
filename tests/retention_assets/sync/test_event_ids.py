"""Event ids: deterministic, valid ULIDs that the python-ulid library reads back identically."""

from __future__ import annotations

import hashlib
import random

import pytest
from ulid import ULID

from retention_assets.sync.event_ids import event_ulid


@pytest.mark.parametrize(
    ("key", "milliseconds"),
    [("order:1", 0), ("order:1", 1_700_000_000_123), ("refund:é", (1 << 48) - 1), ("", 42)],
)
def test_matches_the_reference_ulid_library(key: str, milliseconds: int) -> None:
    entropy = hashlib.sha256(key.encode()).digest()[:10]
    expected = ULID.from_bytes(milliseconds.to_bytes(6, "big") + entropy)

    produced = event_ulid(key, milliseconds)

    assert produced == str(expected)
    assert ULID.from_str(produced).milliseconds == milliseconds


def test_same_key_same_id_and_different_key_different_id() -> None:
    assert event_ulid("order:1", 5) == event_ulid("order:1", 5)
    assert event_ulid("order:1", 5) != event_ulid("order:2", 5)


def test_rejects_times_outside_the_ulid_range() -> None:
    with pytest.raises(ValueError, match="out of ULID range"):
        event_ulid("order:1", 1 << 48)


def test_matches_the_reference_library_across_the_whole_range() -> None:
    rng = random.Random(7)
    for index in range(5000):
        key = f"event:{index}:{rng.random()}"
        milliseconds = rng.randrange(1 << 48)
        entropy = hashlib.sha256(key.encode()).digest()[:10]
        expected = ULID.from_bytes(milliseconds.to_bytes(6, "big") + entropy)
        assert event_ulid(key, milliseconds) == str(expected), (key, milliseconds)
