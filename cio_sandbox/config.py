"""Runtime-tunable behaviour of the sandbox: latency, injected faults and the App API limit.

One dataclass is the single source of the CLI flags, the ``/_sandbox/config`` endpoint and
``running_sandbox(**options)``, so the three always agree on names, defaults and checks.
"""

import argparse
import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

# Faults that replace the response; their rates share one draw, so together they are <= 1.
EXCLUSIVE_FAULT_RATES = ("error_429_rate", "error_500_rate", "error_503_rate", "drop_rate")


def _option(default: Any, help_text: str) -> Any:
    return field(default=default, metadata={"help": help_text})


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    latency_ms: float = _option(0.0, "delay added to every Track API request, in ms")
    error_429_rate: float = _option(0.0, "share of Track writes answered 429")
    retry_after_s: int = _option(1, "Retry-After seconds sent with injected 429s")
    error_500_rate: float = _option(0.0, "share of Track writes answered 500")
    error_503_rate: float = _option(0.0, "share of Track writes answered 503")
    drop_rate: float = _option(0.0, "share of Track writes whose connection is closed unanswered")
    slow_rate: float = _option(0.0, "share of Track writes delayed by slow_ms more")
    slow_ms: float = _option(1000.0, "extra delay of a slow response, in ms")
    entry_reject_rate: float = _option(0.0, "share of /v2/batch entries rejected as 'injected'")
    event_fail_rate: float = _option(
        0.0, "share of accepted events dropped and recorded as failed_event activities"
    )
    seed: int | None = _option(None, "seed that makes fault draws repeatable")
    app_rate_limit: float = _option(10.0, "App API requests per second before 429 (0: no limit)")

    def updated(self, changes: Mapping[str, Any]) -> "SandboxConfig":
        """A copy with ``changes`` applied; ValueError names the first bad key or value."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown config keys: {', '.join(unknown)}")
        values: dict[str, Any] = {}
        for name, value in changes.items():
            if name == "seed":
                if value is not None and type(value) is not int:
                    raise ValueError("seed must be an integer or null")
                values[name] = value
            elif name == "retry_after_s":
                if type(value) is not int or value < 0:
                    raise ValueError("retry_after_s must be a non-negative integer")
                values[name] = value
            elif type(value) not in (int, float) or not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a non-negative number")
            else:
                values[name] = float(value)
        config = dataclasses.replace(self, **values)
        config._check_rates()
        return config

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def _check_rates(self) -> None:
        for f in fields(self):
            if f.name.endswith("_rate") and getattr(self, f.name) > 1:
                raise ValueError(f"{f.name} must be between 0 and 1")
        if sum(getattr(self, name) for name in EXCLUSIVE_FAULT_RATES) > 1:
            raise ValueError(f"{' + '.join(EXCLUSIVE_FAULT_RATES)} must not exceed 1")


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """Add one ``--flag`` per config field (``latency_ms`` -> ``--latency-ms``)."""
    for f in fields(SandboxConfig):
        kind = float if f.type is float else int
        parser.add_argument(
            "--" + f.name.replace("_", "-"),
            dest=f.name,
            type=kind,
            default=None,
            help=f"{f.metadata['help']} (default: {f.default})",
        )


def config_from_arguments(args: argparse.Namespace) -> SandboxConfig:
    given = {f.name: getattr(args, f.name) for f in fields(SandboxConfig)}
    return SandboxConfig().updated({k: v for k, v in given.items() if v is not None})
