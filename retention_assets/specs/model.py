"""The shape of one sync spec: what a reviewed YAML file may say, as pydantic models.

A sync spec is the contract between a data team's warehouse model and one Customer.io
workspace. These models hold only its shape (fields, types, allowed values, defaults); the
rules that relate fields to each other live in :mod:`retention_assets.specs.rules`, and the
rules that need the warehouse in :mod:`retention_assets.specs.relation`, so that each error
can name its exact field and fix. Every field has a description: the published JSON Schema
and ``docs/sync-spec.md`` are generated from them.

Enums and defaults that the engine already declares (null policy, value kind, backfill
policy, volume guard) are imported, not repeated, so one fact has one source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from resources.customerio.limits import DEFAULT_TRACK_MAX_RPS, TRACK_SOFT_MAX_RPS
from resources.customerio.resource import CustomerIOResource
from retention_assets.attribute_types import NullPolicy, ValueKind
from retention_assets.sync.policies import (
    DEFAULT_BACKFILL_POLICY,
    DEFAULT_REMOVAL_POLICY,
    DEFAULT_VOLUME_GUARD,
    EVENTS_TRAILING_DAYS,
    BackfillPolicy,
    RemovalPolicy,
    VolumeGuard,
)

# The Track API's default concurrency, as the Customer.io resource declares it.
DEFAULT_CONCURRENCY: Final[int] = CustomerIOResource.model_fields["concurrency"].default

NAME_PATTERN: Final = r"^\S(.*\S)?$"
SYNC_NAME_PATTERN: Final = r"^[a-z][a-z0-9_]*$"
RELATION_PATTERN: Final = r"^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*){1,2}$"
ENV_PATTERN: Final = r"^[A-Z_][A-Z0-9_]*$"
DEFAULT_WORKSPACE: Final = "default"
# The zone a naive timestamp column is read in unless the spec names another.
UTC: Final = "UTC"

# What to write instead, for a value that does not match a pattern.
PATTERN_FIXES: Final = {
    NAME_PATTERN: "remove the blanks around the name",
    SYNC_NAME_PATTERN: "use lower snake case, e.g. customer_state",
    RELATION_PATTERN: "write `schema.name` or `database.schema.name`",
    ENV_PATTERN: "write the NAME of an environment variable (e.g. CUSTOMERIO_API_KEY), not a value",
}

# A column or attribute name: not empty, no surrounding blanks (a trailing space in YAML
# would otherwise name a different column).
Name = Annotated[str, Field(min_length=1, pattern=NAME_PATTERN)]


class _Spec(BaseModel):
    """Base of every spec model: unknown keys are errors, so a misspelt field never passes."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- source -----------------------------------------------------------------------------


class DailyAsOf(_Spec):
    """One row per id per day, each day describing the state as of its end (UTC)."""

    kind: Literal["daily_as_of"] = Field(description="Daily as-of state partitions.")
    column: Name = Field(description="The DATE column that holds the partition day.")


class DailyEvents(_Spec):
    """Event rows partitioned by the UTC day of a timestamp column."""

    kind: Literal["daily_events"] = Field(description="Daily event partitions.")
    column: Name = Field(
        description="The UTC timestamp column whose day is the partition (usually occurred_at)."
    )


class Snapshot(_Spec):
    """An unpartitioned relation: every run reads all of it."""

    kind: Literal["snapshot"] = Field(description="No partitions: the whole relation.")


Partitioning = Annotated[DailyAsOf | DailyEvents | Snapshot, Field(discriminator="kind")]


class Source(_Spec):
    """Where the rows come from: the upstream Dagster asset and the relation it writes."""

    asset: Name = Field(
        description=(
            "Key of the upstream Dagster asset (a model of this project, a dagster-dbt model, or"
            " an external table, declared with `external: true`); slash-separated for a"
            " multi-part key, e.g. `analytics/customer_profiles`."
        )
    )
    relation: Name = Field(
        pattern=RELATION_PATTERN,
        description="The warehouse table or view it reads, as `schema.name` or `db.schema.name`.",
    )
    partitioning: Partitioning = Field(description="How the relation is partitioned.")
    external: bool = Field(
        default=False,
        description=(
            "The relation is built outside this deployment (a loader, another team's"
            " pipeline): the sync declares `asset` itself, as an external source asset that"
            " names the relation, so no Python is needed. Leave it `false` for a model of this"
            " project or a dagster-dbt model. One spec per asset declares it; others name the"
            " same `asset` without `external`."
        ),
    )


# --- workspace --------------------------------------------------------------------------

EnvName = Annotated[
    str,
    Field(
        pattern=ENV_PATTERN,
        description="Name of an environment variable (upper case), never its value.",
    ),
]


class ForeignAttribute(_Spec):
    """An attribute another system writes: this sync must never write it."""

    name: Name = Field(description="The Customer.io attribute name.")
    owner: Name = Field(description="The system that writes it, e.g. `realtime_tracking`.")
    kind: ValueKind = Field(description="Its value kind, for the docs and the drift read-back.")
    description: str = Field(default="", description="What it holds, for a person.")


class Workspace(_Spec):
    """Which Customer.io workspace receives the sync, named by environment variables."""

    name: str = Field(
        default=DEFAULT_WORKSPACE,
        pattern=SYNC_NAME_PATTERN,
        description=(
            "Name of the workspace in this deployment (lower snake case). Syncs that name the"
            " same workspace share one Customer.io resource and must name the same variables."
        ),
    )
    site_id_env: EnvName = Field(description="Variable holding the Track API site id.")
    track_key_env: EnvName = Field(description="Variable holding the Track API key (a secret).")
    app_key_env: EnvName | None = Field(
        default=None,
        description="Variable holding the App API key, for the read-back; optional.",
    )
    region_env: EnvName = Field(description="Variable holding the region, `us` or `eu`.")
    track_url_env: EnvName | None = Field(
        default=None,
        description=(
            "Variable holding a Track API base URL that replaces the region's (a proxy or the"
            " local sandbox); optional."
        ),
    )
    app_url_env: EnvName | None = Field(
        default=None,
        description="Variable holding an App API base URL that replaces the region's; optional.",
    )
    foreign_attributes: tuple[ForeignAttribute, ...] = Field(
        default=(),
        description=(
            "The workspace's ownership registry: attributes other systems write (e.g."
            " `last_seen`). Mapping a column onto one is an error."
        ),
    )


# --- identity and attributes ------------------------------------------------------------


class Identity(_Spec):
    """The person the rows belong to."""

    column: Name = Field(
        description=(
            "The column sent as the Customer.io `id`: a stable key, never an email (an email"
            " column is only ever an attribute)."
        )
    )
    email_attribute: Name | None = Field(
        default=None,
        description=(
            "Person profile streams: the attribute (or its source column) holding the email,"
            " mapped as the Customer.io attribute `email`. Declaring it turns on identity"
            " reconciliation (docs/identity.md): before the profile sync, customers this sync"
            " never wrote are looked up by email, so an email-only profile is adopted, an"
            " email-only duplicate of an id profile is merged into it, and an email that"
            " belongs to another id is reported instead of sent."
        ),
    )
    reconcile: bool = Field(
        default=True,
        description=(
            "With `email_attribute`: `false` keeps the declaration but plans no lookups or"
            " merges (the identity assets are not built)."
        ),
    )
    max_merges: int = Field(
        default=0,
        ge=0,
        description=(
            "Merges one identity plan may hold before the blocking `merge_guard` check stops"
            " them (a merge is irreversible); a run tagged `retention/allow_merges=true` sends"
            " a reviewed plan over it."
        ),
    )
    lookup_ttl_hours: int = Field(
        default=24,
        ge=0,
        description=(
            "How long an email lookup is trusted; an older one (or one of another email) is"
            " looked up again through the App API (10 requests/s)."
        ),
    )


class ObjectType(_Spec):
    """The Customer.io object type whose objects an object stream writes."""

    id: int = Field(
        ge=1,
        description=(
            "The object type's integer id in the workspace (Data & Integrations > Objects);"
            " types are numbered from 1."
        ),
    )
    name: str = Field(default="", description="What the objects are, for a person.")


class AttributeMapping(_Spec):
    """One column written as one Customer.io profile attribute."""

    column: Name = Field(description="The relation's column.")
    name: Name | None = Field(
        default=None, description="The Customer.io attribute name; defaults to the column name."
    )
    kind: ValueKind = Field(
        description="How the value is sent; `timestamp` is sent as integer unix seconds."
    )
    null_policy: NullPolicy = Field(
        default=NullPolicy.SKIP,
        description="A null leaves the attribute as it is (`skip`) or removes it (`clear`).",
    )
    description: str = Field(default="", description="What it means, for a marketer.")
    may_be_future: bool = Field(
        default=False,
        description=(
            "Timestamps only: the value is a prediction (e.g. a next purchase date) and may lie"
            " in the future; other timestamps after now block the sync."
        ),
    )
    time_zone: Name = Field(
        default=UTC,
        description=(
            "Timestamps only: IANA time zone of a naive timestamp column (e.g. `Europe/Berlin`);"
            " it is converted to UTC before it is sent as unix seconds. A column with a time"
            " zone is already absolute: keep `UTC`."
        ),
    )

    @property
    def attribute(self) -> str:
        """The Customer.io attribute name this mapping writes."""
        return self.name or self.column


# --- membership ---------------------------------------------------------------------------


class ObjectIdColumn(_Spec):
    """The column that names the related object."""

    column: Name = Field(description="The relation's column holding the object's `object_id`.")


class Relationships(_Spec):
    """A relationship stream: each row relates the identity's person to one object."""

    object_type: ObjectType = Field(description="The type of the objects people are related to.")
    object_id: ObjectIdColumn = Field(description="The column naming each row's object.")
    attributes: tuple[AttributeMapping, ...] = Field(
        default=(),
        description=(
            "Columns written as relationship attributes (on the pair, not the person),"
            " diffed per field like a profile's; at most 100 KB per relationship."
        ),
    )


class Segment(_Spec):
    """A manual segment kept equal to the relation: its rows are the members."""

    id: int | None = Field(
        default=None,
        ge=1,
        description="The manual segment's id in the workspace (Segments > the segment's URL).",
    )
    name: Name | None = Field(
        default=None,
        description=(
            "The manual segment's name: looked up through the App API, and created when no"
            " segment has it (needs `workspace.app_key_env`). Give `id` or `name`."
        ),
    )
    description: str = Field(
        default="", description="The description of a segment the sync creates."
    )


# --- events -----------------------------------------------------------------------------


class EventName(_Spec):
    """The event name: one constant for every row, or a column (exactly one of the two)."""

    # Editors learn "exactly one" from the schema; the rules say it again with a fix.
    model_config = ConfigDict(
        json_schema_extra={"oneOf": [{"required": ["constant"]}, {"required": ["column"]}]}
    )

    constant: Name | None = Field(
        default=None, description="The one event name of every row; must be in the vocabulary."
    )
    column: Name | None = Field(
        default=None,
        description="The column holding each row's event name; a check holds it to the vocabulary.",
    )


class VocabularyEntry(_Spec):
    """One event name journeys may trigger on."""

    name: Name = Field(description="The exact event name sent to Customer.io.")
    description: str = Field(default="", description="When it happens, for a marketer.")


class OccurredAt(_Spec):
    """When the event happened."""

    column: Name = Field(description="The timestamp column.")
    time_zone: Name = Field(
        default=UTC,
        description=(
            "IANA time zone of a naive timestamp column (e.g. `Europe/Berlin`); it is"
            " converted to UTC. A column with a time zone is already absolute: keep `UTC`."
        ),
    )


class PropertyColumn(_Spec):
    """One column sent as one property of the event's data."""

    column: Name = Field(description="The relation's column.")
    name: Name | None = Field(
        default=None, description="The property name; defaults to the column name."
    )


class Events(_Spec):
    """An event stream: each row is one event of one person."""

    key: Name = Field(
        description="Unique, stable key column of the event; the event id is derived from it."
    )
    name: EventName = Field(description="The event name: `{constant: ...}` or `{column: ...}`.")
    vocabulary: tuple[VocabularyEntry, ...] = Field(
        min_length=1, description="The locked list of event names this stream may send."
    )
    occurred_at: OccurredAt = Field(description="When the event happened.")
    loaded_at: Name | None = Field(
        default=None,
        description=(
            "Timestamp column of when the row landed; the `continuous` cadence sends rows by it."
        ),
    )
    properties: tuple[PropertyColumn, ...] = Field(
        default=(), description="The explicit property columns sent as the event's data."
    )
    properties_object: Name | None = Field(
        default=None,
        description=(
            "A column that already holds the lean JSON object of properties (built in the"
            " model); merged with `properties`."
        ),
    )
    backfill_policy: BackfillPolicy = Field(
        default=DEFAULT_BACKFILL_POLICY,
        description=(
            "What backfills and the first sync do with events that could fire journeys:"
            " `rename` (sent as `<name> (backfill)`), `mark` (`cio_backfill=true`), `suppress`."
        ),
    )


# --- erasure ----------------------------------------------------------------------------


class Erasure(_Spec):
    """An erasure stream: each row is a person to erase (a GDPR/CCPA request)."""

    requested_at: Name | None = Field(
        default=None,
        description=(
            "Timestamp column of when the person asked to be erased (a naive one is read as"
            " UTC); kept with the suppression, for the record. Optional."
        ),
    )


# --- cadence and guards -----------------------------------------------------------------


class Cadence(_Spec):
    """When the stream runs."""

    cron: str = Field(
        min_length=1, description="Cron schedule of the batch run, in UTC (e.g. `15 * * * *`)."
    )
    trailing_days: int = Field(
        default=EVENTS_TRAILING_DAYS,
        ge=1,
        le=31,
        description="Daily partitions each scheduled run rebuilds and resends, for late data.",
    )
    continuous: bool = Field(
        default=False,
        description=(
            "Events only: a sensor also sends newly landed rows within a minute, on the same"
            " ledgers, so the batch run sends nothing twice. Needs `events.loaded_at`."
        ),
    )
    after: tuple[Annotated[str, Field(pattern=SYNC_NAME_PATTERN)], ...] = Field(
        default=(),
        description=(
            "Syncs of this deployment whose sends come first in a run that holds both (the"
            " whole-pipeline job, a backfill of several syncs): a segment after the profile"
            " sync that creates its members, relationships after their objects. The plan"
            " depends on their send assets, which the lineage shows. Where a profile sync"
            " reconciles identities, every other sync of its workspace that can create people"
            " (profiles, events, relationships) must come after it."
        ),
    )


def _guard(field: str, what: str) -> Any:
    """A volume-guard field whose default is the engine's (``policies.DEFAULT_VOLUME_GUARD``)."""
    return Field(default=getattr(DEFAULT_VOLUME_GUARD, field), ge=0, description=what)


class VolumeGuardSpec(_Spec):
    """Plan limits relative to what Customer.io holds: a limit is max(floor, share * base)."""

    new_profiles_share: float = _guard("new_profiles_share", "New profiles, share of synced.")
    new_profiles_floor: int = _guard("new_profiles_floor", "New profiles always allowed.")
    changed_attributes_share: float = _guard(
        "changed_attributes_share", "Changed attributes, share of synced attributes."
    )
    changed_attributes_floor: int = _guard(
        "changed_attributes_floor", "Changed attributes always allowed."
    )
    cleared_attributes_share: float = _guard(
        "cleared_attributes_share", "Cleared attributes, share of synced attributes."
    )
    cleared_attributes_floor: int = _guard(
        "cleared_attributes_floor", "Cleared attributes always allowed."
    )
    events_share: float = _guard("events_share", "Events, share of synced events.")
    events_floor: int = _guard("events_floor", "Events always allowed.")
    removals_share: float = _guard(
        "removals_share", "Removals (profiles, members or relationships leaving), share of synced."
    )
    removals_floor: int = _guard("removals_floor", "Removals always allowed.")

    def to_policy(self) -> VolumeGuard:
        """The engine's volume guard with these limits."""
        return VolumeGuard(**self.model_dump())


class Guards(_Spec):
    """What protects the workspace: plan volume limits and the request budget."""

    volume: VolumeGuardSpec = Field(
        default_factory=VolumeGuardSpec,
        description="Volume-guard thresholds; a plan above them is blocked until allowed.",
    )
    max_rps: float = Field(
        default=DEFAULT_TRACK_MAX_RPS,
        gt=0,
        le=TRACK_SOFT_MAX_RPS,
        description="Track API requests per second; leave headroom for real-time tracking.",
    )
    concurrency: int = Field(
        default=DEFAULT_CONCURRENCY, ge=1, description="Track API requests in flight at once."
    )


# --- test cohort ------------------------------------------------------------------------


class CohortMember(_Spec):
    """One customer read back after every sync, with what the warehouse says they should be in."""

    id: Name = Field(description="The customer's id, as the sync sends it.")
    in_segments: tuple[Name, ...] = Field(
        default=(),
        description=(
            "Segments (by name or id) the customer must be in, e.g. `VIP`; read back through"
            " the App API after every sync."
        ),
    )
    not_in_segments: tuple[Name, ...] = Field(
        default=(),
        description="Segments (by name or id) the customer must not be in, e.g. `Reactivation`.",
    )


class Cohort(_Spec):
    """The test cohort: customers read back through the App API after every sync, as the
    practitioner's guide says: attributes, recent events, segments, and no failed updates."""

    members: tuple[CohortMember, ...] = Field(
        default=(),
        description=(
            "Customers always read back (also those listed in the sync's `test_cohort` table),"
            " each with optional segment expectations."
        ),
    )
    sample_size: int = Field(
        default=50,
        ge=0,
        le=10_000,
        description=(
            "Synced customers drawn at random each run whose attributes are read back (100"
            " per App API request)."
        ),
    )
    activity_sample_size: int = Field(
        default=3,
        ge=0,
        le=1_000,
        description=(
            "Of those, how many also have their activities read (failed updates, recent"
            " events): one or two App API requests each, at 10 requests/s."
        ),
    )
    recent_events: int = Field(
        default=5,
        ge=1,
        le=100,
        description="Event syncs: the customer's latest acknowledged events that must have landed.",
    )
    severity: Literal["warn", "error"] = Field(
        default="warn",
        description=(
            "`warn`: differences show on the check; `error`: they fail it (an alert, and a"
            " job that stops on failed checks stops)."
        ),
    )


# --- the spec ---------------------------------------------------------------------------


class SyncSpec(_Spec):
    """One sync: a warehouse relation to one Customer.io workspace, as profiles, events or
    erasures."""

    version: Literal[1] = Field(description="Version of the spec format; `1`.")
    name: Name = Field(
        pattern=SYNC_NAME_PATTERN,
        description="Name of the sync (lower snake case); prefixes its assets and ledgers.",
    )
    description: str = Field(default="", description="What the sync is for, for a person.")
    ledger_schema: str | None = Field(
        default=None,
        pattern=SYNC_NAME_PATTERN,
        description=(
            "Warehouse schema of the sync's plan and ledger tables; defaults to `cio_<name>`."
            " A profile sync and an event sync of one workspace may share one."
        ),
    )
    source: Source = Field(description="The upstream asset and relation.")
    workspace: Workspace = Field(description="The Customer.io workspace it writes to.")
    identity: Identity = Field(
        description=(
            "The column sent as the person's `id` (an object stream: the `object_id`; a"
            " relationship or segment stream: the person's `id`)."
        )
    )
    object_type: ObjectType | None = Field(
        default=None,
        description=(
            "Object stream: the rows are objects of this type, not people; `identity.column`"
            " is their `object_id` and `attributes` their attributes, diffed like a profile's."
        ),
    )
    attributes: tuple[AttributeMapping, ...] = Field(
        default=(),
        description="Profile (or object) stream: the columns written as attributes.",
    )
    events: Events | None = Field(
        default=None, description="Event stream: the rows sent as events."
    )
    relationships: Relationships | None = Field(
        default=None,
        description=(
            "Relationship stream: each row relates the person of `identity.column` to an"
            " object; a pair that leaves the relation is removed if this sync added it."
        ),
    )
    segment: Segment | None = Field(
        default=None,
        description=(
            "Manual segment stream: the rows' people are the segment's members; a person who"
            " leaves the relation is removed if this sync added them."
        ),
    )
    on_removed: RemovalPolicy = Field(
        default=DEFAULT_REMOVAL_POLICY,
        description=(
            "Profile (or object) stream: what happens to a profile this sync wrote once its"
            " row is gone from the source: `keep` it, `clear` the attributes this sync wrote,"
            " `delete` the person, or `suppress` it (deleted, and never re-added). Objects:"
            " `keep`, `clear` or `delete`. Only the newest partition removes anyone."
        ),
    )
    erasure: Erasure | None = Field(
        default=None,
        description=(
            "Erasure stream: every row's `identity.column` is a person to erase. Each is"
            " suppressed in Customer.io, and no sync of the workspace identifies or tracks"
            " that id again (a source row naming it becomes a rejected row, reason `erased`)."
        ),
    )
    cadence: Cadence = Field(description="When the stream runs.")
    guards: Guards = Field(
        default_factory=Guards, description="Volume guard, request rate and concurrency."
    )
    cohort: Cohort = Field(
        default_factory=Cohort,
        description=(
            "People streams: the test cohort read back after every sync (attributes, recent"
            " events, segment membership, failed updates)."
        ),
    )

    _path: Path | None = PrivateAttr(default=None)
    _lines: dict[str, int] = PrivateAttr(default_factory=dict)

    @property
    def path(self) -> Path | None:
        """The file the spec was loaded from, for error messages."""
        return self._path

    @property
    def lines(self) -> dict[str, int]:
        """Field path -> line in the file, to put line numbers in later errors."""
        return self._lines

    @property
    def ledger(self) -> str:
        """The schema that holds this sync's plans and ledgers."""
        return self.ledger_schema or f"cio_{self.name}"

    @property
    def written_attributes(self) -> tuple[AttributeMapping, ...]:
        """The columns the sync writes as attributes: a relationship stream's relationship
        attributes, any other stream's ``attributes``."""
        relationships = self.relationships
        return relationships.attributes if relationships is not None else self.attributes

    @property
    def entity(self) -> Literal["person", "object"]:
        """What the rows are in Customer.io: people, or objects of ``object_type``."""
        return "object" if self.object_type is not None else "person"

    @property
    def membership(self) -> Literal["relationships", "segment"] | None:
        """Which membership a membership stream keeps: relationships, or a manual segment."""
        if self.relationships is not None:
            return "relationships"
        return "segment" if self.segment is not None else None

    @property
    def is_erasure(self) -> bool:
        """An erasure stream: a profile-kind stream whose rows are ids to suppress."""
        return self.erasure is not None

    @property
    def creates_people(self) -> bool:
        """Whether a row can create a person Customer.io does not know: an identify, an event
        or a relationship of an unknown id does; a segment ignores one, a suppression keeps
        one out, an object is no person."""
        if self.entity != "person" or self.is_erasure:
            return False
        return self.membership != "segment"

    @property
    def reconciles_identity(self) -> bool:
        """A person profile stream that reconciles identities by email before it syncs."""
        return (
            self.identity.email_attribute is not None
            and self.identity.reconcile
            and self.stream == "profiles"
            and self.entity == "person"
            and not self.is_erasure
        )

    @property
    def stream(self) -> Literal["profiles", "events", "membership"]:
        """Which stream the spec declares (the rules ensure exactly one)."""
        if self.events is not None:
            return "events"
        if self.relationships is not None or self.segment is not None:
            return "membership"
        return "profiles"
