"""Sync specs: one reviewed YAML file per sync, from a warehouse relation to Customer.io.

A data team declares a sync (source relation, workspace, identity, attributes or events,
cadence, guards) instead of editing Python. This package holds the format, its validation
(shape, cross-field rules, and the fit to the relation's columns) and the published JSON
Schema. Errors always name the file, the field and the fix.
"""

from retention_assets.specs.errors import SpecError, SpecInvalid
from retention_assets.specs.load import load_spec, parse_spec
from retention_assets.specs.model import SyncSpec
from retention_assets.specs.relation import check_spec_against_relation

__all__ = [
    "SpecError",
    "SpecInvalid",
    "SyncSpec",
    "check_spec_against_relation",
    "load_spec",
    "parse_spec",
]
