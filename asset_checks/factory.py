"""Turn warehouse rules plus a Pandera schema into Dagster asset checks.

In the spirit of catalyst-cooperative/pudl's ``etl/asset_checks.py`` (a schema in, an
``@asset_check`` out), but built for tables that do not fit in pandas: a check is a list of
*rules*, each a query of failing rows that the warehouse counts; only a bounded sample of the
failing rows comes to Python, where the Pandera schema validates it and says per row which
check it fails. The sample, the counts per rule and the days looked at become the check's
metadata, written for the person who opens the failure in the Dagster UI (samples and rule
lists as ``MetadataValue.table``, which the UI shows as typed, sortable tables).

Partitions. The models are daily partitioned. Dagster 1.13 can partition an asset check
(``partitions_def`` on ``@asset_check``), but that is a preview feature "not ready for
production use", a range backfill records one evaluation without a partition, and a partitioned
check cannot be launched from the UI without picking partitions. So the checks are
unpartitioned, and each evaluation decides which days to validate:

* in a run that materialises a partition or a range (a single-run backfill), the run's
  partition time window — exactly the days the run wrote;
* run on its own (from the asset's Checks tab, no partition), the latest partition present in
  the model table.

The days validated are in the result's ``partitions`` metadata. Rules that do not depend on
rows (column types, the attribute mapping) always run.

Blocking. A check built with ``blocking=True`` must have ERROR severity; when it fails, Dagster
skips the assets downstream of the model in the same run, so nothing reaches Customer.io.

pandas and Pandera are imported when a check finds failing rows (``asset_checks.samples``),
not when it is defined, nor when every rule passes: the code location defines every check and
runs none, and every plan evaluates its source's blocking checks, which usually pass (issue 15).
A passing rule carries no sample at all (``Findings.rows`` is None).
"""

# No ``from __future__ import annotations``: Dagster compares the context annotation of the
# check ``build_asset_check`` defines with its context class at definition time, and a string
# would not match. The pandas types are quoted instead (imported for the type checker only).
import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Protocol

import dagster as dg

from asset_checks import sql
from asset_checks.schemas import TableContract
from resources.params import bind
from resources.warehouse import WarehouseResource, WarehouseSession
from retention_assets.metadata_tables import frame_table, records_table
from retention_assets.partitions import partition_days

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_SAMPLE_ROWS: Final = 10
CHECK_KIND: Final = "pandera"
SCHEMAS_PATH: Final = "asset_checks/schemas.py"

# Result metadata keys: alerts and tests read them, people see them in the UI.
FAILING_ROWS: Final = "failing_rows"
FAILED_RULES: Final = "failed_rules"
RULES: Final = "rules"
PARTITIONS: Final = "partitions"
PARTITIONS_SOURCE: Final = "partitions_source"
SAMPLE_PREFIX: Final = "sample: "
# Column added to each sample: Pandera's verdict on that row.
SCHEMA_FAILURES: Final = "schema_failures"

RUN_PARTITION: Final = "the run's partition"
RUN_PARTITION_RANGE: Final = "the run's partition range"
LATEST_PARTITION: Final = "the latest partition in the table (check run without a partition)"
NO_PARTITION: Final = "none: the run had no partition, and none was read from the table"

_IDENTIFIER: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def identifier(name: str) -> str:
    """``name`` if it is a plain SQL identifier; raise otherwise, since it is formatted in."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"{name!r} is not a plain SQL identifier")
    return name


def placeholders(prefix: str, values: Sequence[Any]) -> tuple[str, dict[str, Any]]:
    """An ``IN (...)`` list of one parameter per value, and those parameters."""
    params = {f"{prefix}_{index}": value for index, value in enumerate(values)}
    return ", ".join(f"${name}" for name in params), params


def table_columns(session: WarehouseSession, table: str) -> dict[str, str]:
    """Column name -> warehouse type name of ``schema.table``; empty when it does not exist."""
    schema, _, name = table.partition(".")
    rows = session.fetch_all(sql.TABLE_COLUMNS, {"table_schema": schema, "table_name": name})
    return {column: data_type for column, data_type in rows}


@dataclass(frozen=True)
class Scope:
    """The partition days one evaluation validates, and how they were chosen."""

    first_day: dt.date
    last_day: dt.date
    source: str

    @property
    def label(self) -> str:
        if self.first_day == self.last_day:
            return self.first_day.isoformat()
        return f"{self.first_day.isoformat()}..{self.last_day.isoformat()}"

    def params(self) -> dict[str, dt.date]:
        return {"first_day": self.first_day, "last_day": self.last_day}


@dataclass(frozen=True)
class PartitionedTable:
    """A model table and the column that holds its daily partition."""

    table: str
    partition_column: str


@dataclass(frozen=True)
class Findings:
    """What one rule found: how many rows fail, and a sample of them.

    ``rows`` is None when the rule found nothing to show: a passing rule builds no DataFrame,
    so a plan whose gates all pass never imports pandas (see the module's docstring).
    """

    failing: int
    rows: "pd.DataFrame | None" = None

    def __post_init__(self) -> None:
        if self.failing and self.rows is None:
            raise ValueError("a rule that finds failing rows shows a sample of them")


NO_FINDINGS: Final = Findings(0)


class Rule(Protocol):
    """One named condition a check verifies.

    The attributes are read-only properties so that frozen dataclasses satisfy the protocol.
    """

    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def needs_scope(self) -> bool:
        """Whether the rule reads rows of the partition days (False: types, configuration)."""
        ...

    def evaluate(
        self, session: WarehouseSession, params: Mapping[str, Any], sample_rows: int
    ) -> Findings: ...


@dataclass(frozen=True)
class SqlRule:
    """Failing rows are the result of ``sql``: counted in the warehouse, sampled to Python.

    ``order_by`` orders the sample so related rows (duplicates of one key) sit together;
    ``schema``, when given, judges each sampled row with its Pandera schema.
    """

    name: str
    description: str
    sql: str
    order_by: str
    schema: TableContract | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    needs_scope: bool = True

    def evaluate(
        self, session: WarehouseSession, params: Mapping[str, Any], sample_rows: int
    ) -> Findings:
        values = {**params, **self.params, "sample_rows": sample_rows}
        count = sql.COUNT_FAILING.format(rule=self.sql)
        ((failing,),) = session.fetch_all(count, bind(count, values))
        if not failing:
            return NO_FINDINGS
        # Imported only for failing rows, not with this module: see the module's docstring.
        from asset_checks import samples

        query = sql.SAMPLE_FAILING.format(rule=self.sql, order_by=self.order_by)
        rows = samples.to_frame(session.fetch_arrow(query, bind(query, values)))
        if self.schema is not None:
            rows[SCHEMA_FAILURES] = samples.schema_failures(self.schema, rows)
        return Findings(int(failing), rows)


@dataclass(frozen=True)
class FunctionRule:
    """A rule computed in Python from small inputs: column types, configuration, a few names.

    ``find`` returns every failure (its inputs are small by construction); the factory keeps
    a bounded sample of the rows.
    """

    name: str
    description: str
    find: Callable[[WarehouseSession, Mapping[str, Any]], Findings]
    needs_scope: bool = False

    def evaluate(
        self, session: WarehouseSession, params: Mapping[str, Any], sample_rows: int
    ) -> Findings:
        findings = self.find(session, params)
        if findings.rows is None:
            return findings
        return Findings(findings.failing, findings.rows.head(sample_rows))


@dataclass(frozen=True)
class RuleResult:
    name: str
    description: str
    failing: int
    # None when the rule found nothing to show (``Findings.rows``).
    sample: "pd.DataFrame | None"
    # False when the rule needs partition days and the table has none yet.
    evaluated: bool = True

    @property
    def rows_shown(self) -> int:
        return 0 if self.sample is None else len(self.sample)


@dataclass(frozen=True)
class CheckOutcome:
    """Every rule's result for one evaluation of a check."""

    scope: Scope | None
    results: list[RuleResult]

    @property
    def failed(self) -> list[RuleResult]:
        return [result for result in self.results if result.failing]

    @property
    def failing(self) -> int:
        return sum(result.failing for result in self.results)

    @property
    def passed(self) -> bool:
        return not self.failed


def _no_params(scope: Scope | None) -> Mapping[str, Any]:
    return {}


@dataclass(frozen=True)
class WarehouseCheck:
    """The definition of a check, independent of Dagster so benchmarks and tests can run it.

    ``params`` computes run-time values from the scope (the current time, a window start);
    they are merged with the scope's ``first_day``/``last_day`` and handed to every rule.
    """

    name: str
    asset: dg.AssetKey
    description: str
    rules: Sequence[Rule]
    partitions: PartitionedTable | None = None
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR
    blocking: bool = True
    params: Callable[[Scope | None], Mapping[str, Any]] = _no_params
    sample_rows: int = DEFAULT_SAMPLE_ROWS
    # Run by the Dagster check before it reads anything, e.g. to create the view it reads; a
    # caller of ``evaluate`` (a plan's gates) has prepared the session itself.
    prepare: Callable[[WarehouseSession], None] | None = None

    def __post_init__(self) -> None:
        if self.blocking and self.severity != dg.AssetCheckSeverity.ERROR:
            raise ValueError(f"{self.name}: only ERROR checks can block downstream assets")
        names = [rule.name for rule in self.rules]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: rule names must be unique, got {names}")
        if self.partitions is None and any(rule.needs_scope for rule in self.rules):
            raise ValueError(f"{self.name}: rules that read partition days need `partitions`")

    def resolve_scope(
        self, session: WarehouseSession, context: dg.AssetCheckExecutionContext
    ) -> Scope | None:
        """The days to validate: the run's partitions, else the latest one in the table."""
        if context.has_partition_key or context.has_partition_key_range:
            days = partition_days(context)
            source = RUN_PARTITION if len(days) == 1 else RUN_PARTITION_RANGE
            return Scope(days[0], days[-1], source)
        if self.partitions is None:
            return None
        return latest_scope(session, self.partitions)

    def evaluate(self, session: WarehouseSession, scope: Scope | None) -> CheckOutcome:
        params = {**(scope.params() if scope else {}), **self.params(scope)}
        results = []
        for rule in self.rules:
            if rule.needs_scope and scope is None:
                results.append(RuleResult(rule.name, rule.description, 0, None, False))
                continue
            findings = rule.evaluate(session, params, self.sample_rows)
            results.append(RuleResult(rule.name, rule.description, findings.failing, findings.rows))
        return CheckOutcome(scope, results)

    def result(self, outcome: CheckOutcome) -> dg.AssetCheckResult:
        """The Dagster result: pass/fail, severity, and metadata a person can act on."""
        metadata: dict[str, Any] = {
            FAILING_ROWS: dg.MetadataValue.int(outcome.failing),
            FAILED_RULES: dg.MetadataValue.text(
                ", ".join(result.name for result in outcome.failed) or "none"
            ),
            RULES: rules_table(outcome.results),
            PARTITIONS: dg.MetadataValue.text(outcome.scope.label if outcome.scope else "none"),
            PARTITIONS_SOURCE: dg.MetadataValue.text(
                outcome.scope.source if outcome.scope else NO_PARTITION
            ),
        }
        for result in outcome.failed:
            # Only a failed rule's sample needs pandas: a passing check imports none of it.
            from asset_checks import samples

            # A failing rule always has its sample (``Findings``).
            assert result.sample is not None
            metadata[f"{SAMPLE_PREFIX}{result.name}"] = frame_table(
                samples.shown_sample(result.sample)
            )
        return dg.AssetCheckResult(
            passed=outcome.passed,
            severity=self.severity,
            metadata=metadata,
            description=summary(outcome),
        )


def latest_scope(session: WarehouseSession, partitions: PartitionedTable) -> Scope | None:
    query = sql.LATEST_PARTITION.format(
        table=partitions.table, partition_column=partitions.partition_column
    )
    latest = session.fetch_all(query)[0][0]
    return None if latest is None else Scope(latest, latest, LATEST_PARTITION)


def build_asset_check(check: WarehouseCheck) -> dg.AssetChecksDefinition:
    """A standalone Dagster check (re-runnable from the UI) that evaluates ``check``.

    The check reads the warehouse through the ``warehouse`` resource.
    """

    @dg.asset_check(
        name=check.name,
        asset=check.asset,
        description=check.description,
        blocking=check.blocking,
        # Checks have no kinds in Dagster 1.13; the compute kind tags the check's op instead.
        compute_kind=CHECK_KIND,
        metadata={
            "severity": check.severity.value,
            "blocking": check.blocking,
            "validated_with": CHECK_KIND,
            "schemas": dg.MetadataValue.path(SCHEMAS_PATH),
            RULES: rule_descriptions(check.rules),
        },
    )
    def _check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        with warehouse.session() as session:
            if check.prepare is not None:
                check.prepare(session)
            scope = check.resolve_scope(session, context)
            outcome = check.evaluate(session, scope)
        return check.result(outcome)

    return _check


def rules_table(results: Sequence[RuleResult]) -> dg.TableMetadataValue:
    records = [
        {
            "rule": result.name,
            "result": ("failed" if result.failing else "passed") if result.evaluated else "not run",
            "failing rows": result.failing,
            # The rows in a failed rule's `sample: <rule>`: a bounded few of the failing ones.
            "rows shown": result.rows_shown,
            "what it checks": result.description,
        }
        for result in results
    ]
    # Our own descriptions: shown whole, they are the explanation a person came for.
    return records_table(
        ["rule", "result", "failing rows", "rows shown", "what it checks"], records, max_chars=None
    )


def rule_descriptions(rules: Sequence[Rule]) -> dg.TableMetadataValue:
    records = [{"rule": rule.name, "what it checks": rule.description} for rule in rules]
    return records_table(["rule", "what it checks"], records, max_chars=None)


def _rows(count: int) -> str:
    return f"{count:,} failing row" + ("" if count == 1 else "s")


def summary(outcome: CheckOutcome) -> str:
    """One sentence for the UI: what was looked at and what failed."""
    where = f" in partition {outcome.scope.label}" if outcome.scope else ""
    if outcome.passed:
        return f"All {len(outcome.results)} rules passed{where}."
    failed = ", ".join(f"{result.name} ({result.failing:,})" for result in outcome.failed)
    return f"{_rows(outcome.failing)}{where}: {failed}. See the sample of each failed rule below."
