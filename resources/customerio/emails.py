"""How Customer.io tells two emails apart: by the address, ignoring case and whitespace.

Customer.io matches an identify's email to a person that way, so two customers whose emails
differ only in case or blanks are one address to it. The checks that find shared emails and
the delivery audit that finds the updates Customer.io dropped for them compare alike.
"""

from __future__ import annotations

from typing import Final

# Characters that do not tell two emails apart: the whitespace around an address, and inside
# one (a typo of the same address). Case is ignored as well.
EMAIL_WHITESPACE: Final = " \t\n\r\v\f\u00a0"
