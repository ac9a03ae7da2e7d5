"""The one rule for text that reaches a database: what every supported database can store.

PostgreSQL can neither store nor compare a NUL character, and a lone surrogate (U+D800 to
U+DFFF, which JSON's `\\ud800` escape can produce) has no UTF-8 form, so no database takes it.
"""

import re

_SURROGATE = re.compile("[\ud800-\udfff]")


def unstorable(text: str) -> str | None:
    """Why `text` cannot be stored, as the end of a sentence naming the field, or None."""
    if "\x00" in text:
        return "must not contain NUL characters"
    if _SURROGATE.search(text):
        return "must not contain lone surrogates (\\ud800 to \\udfff)"
    return None
