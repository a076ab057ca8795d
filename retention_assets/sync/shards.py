"""Splits the send of one partition into shards: disjoint sets of customers, fixed by their id.

A shard is every customer whose *shard key* (the first four hex digits of ``md5(customer_id)``,
read as a number from 0 to 65535) leaves remainder ``index`` when divided by ``count``. md5
is computed the same way by every warehouse and by Python, so the split is the same
everywhere and never changes between runs: a customer's profile and events always go through
the same shard, and shards write disjoint ledger rows. With one shard (the default) the
filter keeps every row.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Final

HEX_DIGITS: Final = "0123456789abcdef"
KEY_DIGITS: Final = 4


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (from 0) of ``count``."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.index < self.count:
            raise ValueError(f"shard index {self.index} is not within 0..{self.count - 1}")

    @property
    def label(self) -> str:
        return f"{self.index + 1} of {self.count}"

    def params(self) -> dict[str, int]:
        """The values of ``$shard_index`` and ``$shard_count`` in :func:`shard_filter_sql`."""
        return {"shard_index": self.index, "shard_count": self.count}


UNSHARDED: Final = Shard()


def shard_key(customer_id: str) -> int:
    """The customer's shard key, as the warehouse computes it."""
    return int(hashlib.md5(customer_id.encode()).hexdigest()[:KEY_DIGITS], 16)


def shard_of(customer_id: str, count: int) -> int:
    """The index of the shard, of ``count``, that sends this customer."""
    return shard_key(customer_id) % count


def shard_filter_sql(column: str) -> str:
    """A SQL condition: the customer in ``column`` belongs to shard ``$shard_index``.

    Each hex digit is read through its position in ``0123456789abcdef`` (``strpos``), the
    one hex-to-number conversion that DuckDB and Snowflake (through sqlglot) share.
    """
    digits = " + ".join(
        f"(strpos('{HEX_DIGITS}', substr(md5({column}), {position + 1}, 1)) - 1)"
        f" * {16 ** (KEY_DIGITS - 1 - position)}"
        for position in range(KEY_DIGITS)
    )
    # One shard keeps every row: say so first, so that no md5 is computed for it.
    return f"($shard_count = 1 OR ({digits}) % $shard_count = $shard_index)"
