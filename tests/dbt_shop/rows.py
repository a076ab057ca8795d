"""The raw rows of the dbt shop's tests: three users and their actions, as the loader lands them.

Times are local to Europe/Berlin and chosen around its clock changes (a winter and a summer
sign-up, actions either side of the spring-forward), so a test sees a wrong offset.
"""

from typing import Any, Final

ADA: Final = "6f1c2a9e-0000-4000-8000-000000000001"
BOB: Final = "6f1c2a9e-0000-4000-8000-000000000002"
CYD: Final = "6f1c2a9e-0000-4000-8000-000000000003"

USERS: Final[list[dict[str, Any]]] = [
    {
        "id": ADA,
        "email": " Ada@Example.com ",
        "plan": "pro",
        "lifetime_value_cents": 12345,
        "marketing_opt_in": True,
        "seats": 1,
        # Winter: Berlin is UTC+1.
        "created_local": "2026-01-15 09:30:00",
    },
    {
        "id": BOB,
        "email": "bob@example.com",
        "plan": "team",
        "lifetime_value_cents": 0,
        "marketing_opt_in": False,
        "seats": 5,
        # Summer, just after local midnight: UTC+2, so the UTC day is the day before.
        "created_local": "2026-07-01 00:15:00",
    },
    {
        "id": CYD,
        "email": "cyd@example.com",
        "plan": "free",
        "lifetime_value_cents": None,
        "marketing_opt_in": True,
        "seats": 1,
        "created_local": "2026-11-30 18:00:00",
    },
]

ACTIONS: Final[list[dict[str, Any]]] = [
    {
        "id": "a-0001",
        "user_id": ADA,
        "kind": "checkout_completed",
        # Half an hour before the spring-forward at 02:00 local: still UTC+1.
        "happened_local": "2026-03-29 01:30:00",
        "total_cents": 4999,
        "plan": None,
    },
    {
        "id": "a-0002",
        "user_id": BOB,
        "kind": "plan_upgraded",
        # An hour after the clocks went forward: UTC+2.
        "happened_local": "2026-03-29 03:30:00",
        "total_cents": None,
        "plan": "team",
    },
    {
        "id": "a-0003",
        "user_id": ADA,
        "kind": "checkout_completed",
        "happened_local": "2026-08-01 23:45:00",
        "total_cents": 1250,
        "plan": None,
    },
]
