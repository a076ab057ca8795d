"""Recognise event names that drifted from the locked vocabulary.

Customer.io triggers journeys on exact event names. "order placed", "Order  Placed" or
"Placed Order" would reach Customer.io as new events and the "Order Placed" journey would
silently stop firing. An unknown name is a failure either way; naming the vocabulary name it
resembles turns the failure into a one-line fix for the person reading it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Final

# Spelling similarity (of the lower-cased letters and digits) from which two names count as
# one drifted from the other: catches "Subscription Canceled" and "Order Refund", but not
# "Support Ticket Closed" (0.84 to "Support Ticket Opened"), a different event.
NEAR_RATIO: Final = 0.9

# Shown in place of each whitespace character of a name whose spacing is irregular: the UI's
# markdown would collapse "Order  Placed" into "Order Placed" and hide the drift.
VISIBLE_SPACE: Final = "\u2423"

SAME_BUT_FORMATTING: Final = "same name with different case, spacing or punctuation"
SAME_WORDS_REORDERED: Final = "same words in another order"


@dataclass(frozen=True)
class Resemblance:
    vocabulary_name: str
    difference: str


def _squashed(name: str) -> str:
    return "".join(character for character in name.lower() if character.isalnum())


def _words(name: str) -> list[str]:
    return sorted(re.findall(r"[^\W_]+", name.lower()))


def resemblance(name: str, vocabulary: Sequence[str]) -> Resemblance | None:
    """The vocabulary name ``name`` is a near duplicate of, or None if it resembles none."""
    if name in vocabulary:
        return None
    squashed, words = _squashed(name), _words(name)
    best: Resemblance | None = None
    best_ratio = 0.0
    for known in vocabulary:
        if squashed == _squashed(known):
            return Resemblance(known, SAME_BUT_FORMATTING)
        if words == _words(known):
            return Resemblance(known, SAME_WORDS_REORDERED)
        ratio = SequenceMatcher(None, squashed, _squashed(known)).ratio()
        if ratio > best_ratio:
            best_ratio = ratio
            best = Resemblance(known, f"spelled {ratio:.0%} alike")
    return best if best_ratio >= NEAR_RATIO else None


def as_written(name: str) -> str:
    """``name`` for display, its whitespace made visible when it is irregular."""
    if " ".join(name.split()) == name:
        return name
    return re.sub(r"\s", VISIBLE_SPACE, name)
