"""Masks customer emails in what the pipeline shows about its data.

Asset and check metadata (model previews, plan sample payloads, check samples) is stored in the
Dagster instance and shown to everyone with access to the UI; customer emails are personal data
and stay in the warehouse. Each email is shown as its first character and its domain
(``jane.doe@example.com`` -> ``j***@example.com``): enough to tell a case apart, not enough to
identify a person. ``RETENTION_FULL_SAMPLES=true`` shows them whole, for debugging.
"""

from __future__ import annotations

import re
from typing import Final

from retention_assets.settings import load_settings

MASK: Final = "***"
# Anything shaped like an email in free text (JSON payloads, markdown cells): a run of
# characters that are not separators, an @, and a domain. Broad on purpose: a dirty email
# (unicode, odd punctuation) must not slip through half-masked.
_EMAIL: Final = re.compile(r"[^\s@|<>\"'`,;:()\[\]{}\\]+@[^\s@|<>\"'`,;:()\[\]{}\\]+")
# A column named like this holds an email, whatever its value looks like (a dirty value
# without an @ is still personal data).
_EMAIL_COLUMN: Final = re.compile(r"e_?mail", re.IGNORECASE)


def mask_email(value: str) -> str:
    """``jane.doe@example.com`` -> ``j***@example.com``; without an ``@``, ``j***``."""
    text = value.strip()
    if not text:
        return value
    local, at, domain = text.rpartition("@")
    if not at:
        return f"{text[0]}{MASK}"
    return f"{local[:1]}{MASK}@{domain}"


def mask_emails(text: str) -> str:
    """``text`` with every email in it masked."""
    return _EMAIL.sub(lambda match: mask_email(match.group(0)), text)


def is_email_column(name: str) -> bool:
    return bool(_EMAIL_COLUMN.search(name))


def full_samples() -> bool:
    """Whether metadata shows emails whole (``RETENTION_FULL_SAMPLES``), for debugging."""
    return load_settings().full_samples


def shown_text(text: str) -> str:
    """Free text as metadata may show it: emails masked unless full samples are on."""
    return text if full_samples() else mask_emails(text)


def shown_value(column: str, value: object) -> object:
    """One cell of a sample as metadata may show it: an email column's value masked whole,
    emails inside any other text masked, unless full samples are on."""
    if value is None or full_samples():
        return value
    if is_email_column(column):
        return mask_email(str(value))
    return mask_emails(value) if isinstance(value, str) else value
