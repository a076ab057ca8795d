"""The one binder of ``$name`` parameters, for every warehouse session and check query.

The project's SQL is written in DuckDB's dialect with ``$name`` parameters, and callers hand a
statement every value a script or check may need; drivers reject a value the statement does not
use, so each statement is bound to exactly the names it uses. They are found by token with
sqlglot's DuckDB tokenizer: ``$as_of`` is not a use inside ``$as_of_end``, and a ``$`` in a
string literal or a comment is text, not a parameter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from itertools import pairwise
from typing import Any, Final

from sqlglot.dialects.duckdb import DuckDB
from sqlglot.tokens import TokenType

_NAME: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TOKENIZER: Final = DuckDB().tokenizer_class()


# Statements are a few fixed texts run over and over: tokenize each once.
@lru_cache(maxsize=1024)
def parameter_names(statement: str) -> frozenset[str]:
    """The ``$name`` parameters ``statement`` uses."""
    tokens = _TOKENIZER.tokenize(statement)
    # The tokenizer yields ``$`` and the name as two tokens (a keyword such as ``$table``
    # too); they are one parameter only when nothing separates them.
    return frozenset(
        name.text
        for marker, name in pairwise(tokens)
        if marker.token_type == TokenType.PARAMETER
        and name.start == marker.end + 1
        and _NAME.match(name.text)
    )


def bind(statement: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The values of the parameters ``statement`` uses, taken from ``params``.

    Raises ``KeyError`` naming the parameters the statement uses that have no value.
    """
    names = parameter_names(statement)
    values = params or {}
    missing = names - values.keys()
    if missing:
        raise KeyError(f"query parameters without a value: {sorted(missing)}")
    return {name: values[name] for name in names}
