"""One binder finds a statement's ``$name`` parameters, by token, on every warehouse.

A name that is the start of another (``$as_of`` in ``$as_of_end``) is not a use of it, nor is a
``$`` inside a string literal or a comment; the driver rejects a parameter the statement does
not use, so binding one by mistake fails the statement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from resources.params import bind, parameter_names
from resources.warehouse import WarehouseResource

AS_OF = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
AS_OF_END = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
BOTH = {"as_of": AS_OF, "as_of_end": AS_OF_END}


def test_a_name_that_starts_another_is_not_a_use_of_it() -> None:
    assert parameter_names("SELECT $as_of_end") == {"as_of_end"}
    assert bind("SELECT $as_of_end", BOTH) == {"as_of_end": AS_OF_END}


def test_dollars_in_strings_and_comments_are_not_parameters() -> None:
    statement = "SELECT '$as_of' AS label, $as_of_end -- $as_of\n/* $as_of */"

    assert parameter_names(statement) == {"as_of_end"}


def test_keywords_can_be_parameter_names() -> None:
    assert parameter_names("SELECT 1 WHERE $schema = $table") == {"schema", "table"}


def test_a_used_name_without_a_value_is_named_in_the_error() -> None:
    with pytest.raises(KeyError, match="as_of_end"):
        bind("SELECT $as_of_end", {"as_of": AS_OF})


def test_a_statement_without_parameters_binds_nothing() -> None:
    assert bind("SELECT 1", BOTH) == {}


@pytest.mark.parametrize("run", ["execute", "fetch_all", "fetch_arrow", "stream"])
def test_every_session_call_binds_only_the_names_a_statement_uses(
    make_warehouse: Callable[[], WarehouseResource], run: str
) -> None:
    with make_warehouse().session() as session:
        session.execute(
            "CREATE TABLE bounds AS SELECT $as_of_end AS upper_bound;"
            " INSERT INTO bounds SELECT $as_of",
            BOTH,
        )
        query = "SELECT count(*) AS n FROM bounds WHERE upper_bound = $as_of_end"
        if run == "execute":
            session.execute(f"CREATE TABLE matched AS {query}", BOTH)
            rows = session.fetch_all("SELECT n FROM matched")
        elif run == "fetch_all":
            rows = session.fetch_all(query, BOTH)
        elif run == "fetch_arrow":
            rows = [(session.fetch_arrow(query, BOTH).column(0)[0].as_py(),)]
        else:
            rows = [(next(iter(session.stream(query, BOTH))).column(0)[0].as_py(),)]

    assert rows == [(1,)]
