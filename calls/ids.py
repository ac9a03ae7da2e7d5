"""New call ids: 26 characters of Crockford base32, time-sortable like Fn's.

128 bits: 48 bits of Unix milliseconds, then 80 random bits. The first 10 characters
encode the milliseconds, so ids sort by creation time. Within one process the whole
value only ever grows (the random part counts up inside a millisecond), so ids made
by one process sort in the order they were made; across processes the random bits
keep them unique.
"""

import os
import threading
import time
from datetime import datetime

from calls.fntime import to_ns

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 26
_RANDOM_BITS = 80

_lock = threading.Lock()
_last_value = 0


def encode(value: int) -> str:
    """A 128-bit number as 26 Crockford base32 characters, most significant first."""
    return "".join(ALPHABET[(value >> (5 * shift)) & 31] for shift in range(LENGTH - 1, -1, -1))


def new_id(at: datetime | None = None) -> str:
    """A new id for a call made now, or at a given time (for calls that arrive without one).

    Ids for a given time skip the counter: they are for older calls, which must not push
    the ids of calls made now out of order.
    """
    global _last_value
    ms = (time.time_ns() if at is None else to_ns(at)) // 1_000_000
    fresh = (ms << _RANDOM_BITS) | int.from_bytes(os.urandom(_RANDOM_BITS // 8), "big")
    if at is not None:
        return encode(fresh)
    with _lock:
        # Same millisecond, or the clock stepped back: count up so ids stay in order.
        _last_value = max(fresh, _last_value + 1)
        return encode(_last_value)
