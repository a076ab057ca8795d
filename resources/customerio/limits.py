"""Customer.io's published limits, as constants.

This module is the single place in the project that knows Customer.io's numbers: the
packer enforces them before sending, and asset checks import them to gate payloads in the
warehouse. Where the documentation can be read two ways (KB = 1000 or 1024 bytes) the
smaller reading is used, because an oversize request may be answered 200 and dropped.
"""

from typing import Final

# Track API v2 request and entry sizes (bytes of the serialised JSON).
BATCH_MAX_BYTES: Final = 500_000
ENTRY_MAX_BYTES: Final = 32_000

# Per-field limits (UTF-8 bytes).
IDENTIFIER_MAX_BYTES: Final = 150
ATTRIBUTE_NAME_MAX_BYTES: Final = 150
ATTRIBUTE_VALUE_MAX_BYTES: Final = 1000
EVENT_NAME_MAX_BYTES: Final = 100
ATTRIBUTES_MAX_COUNT: Final = 300

# Identifier keys of a person entry: exactly one of them per entry.
PERSON_IDENTIFIER_KEYS: Final = frozenset({"id", "email", "phone", "cio_id"})

# Attribute keys that are instructions to Customer.io rather than profile attributes, so
# they do not count towards ATTRIBUTES_MAX_COUNT.
RESERVED_ATTRIBUTE_KEYS: Final = frozenset({"_update"})

# Rates (requests per second).
TRACK_SOFT_MAX_RPS: Final = 1000.0
APP_MAX_RPS: Final = 10.0
APP_MAX_IDS_PER_REQUEST: Final = 100
# Manual segment membership (Track v1 add_customers / remove_customers): ids per request.
SEGMENT_MAX_IDS_PER_REQUEST: Final = 1000
# App API: members per page of a segment's membership (the documented maximum).
SEGMENT_MEMBERSHIP_PAGE_SIZE: Final = 30_000

# Client defaults. The batch size keeps a 10% margin under BATCH_MAX_BYTES so that a
# proxy adding bytes, or a different reading of "KB", never tips a request over.
DEFAULT_BATCH_MAX_BYTES: Final = 450_000
# Customer.io documents no entry-count limit (Segment sends <= 100, RudderStack <= 1000);
# 1000 keeps a 207 or 400 cheap to narrow while still filling most of a request.
DEFAULT_MAX_ENTRIES_PER_BATCH: Final = 1000
# Default rate: well under the soft workspace ceiling, leaving room for real-time traffic.
DEFAULT_TRACK_MAX_RPS: Final = 50.0
