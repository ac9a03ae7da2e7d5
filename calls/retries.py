"""Running a transaction again when the database aborted it for reasons of its own (a deadlock,
a serialization failure), which the same transaction does not meet a second time."""

import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import OperationalError, connection

T = TypeVar("T")


class Retry(Exception):
    """The transaction met rows another one changed under it; running it again settles it."""


def with_retries(work: Callable[[], T], attempts: int = 8) -> T:
    """work(), run again after a short random pause when the database aborted it."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except (OperationalError, Retry) as e:
            if attempt == attempts or not (isinstance(e, Retry) or transient(e)):
                raise
            time.sleep(random.uniform(0, 0.01 * 2**attempt))
    raise AssertionError("unreachable")


def transient(error: OperationalError) -> bool:
    """A deadlock, a serialization failure, a lock wait that timed out or SQLite's busy
    database: errors that a second run of the same transaction does not meet again."""
    cause = error.__cause__
    if getattr(cause, "sqlstate", None) in ("40P01", "40001", "55P03"):  # PostgreSQL
        return True
    if connection.vendor == "mysql":
        return bool(error.args) and error.args[0] in (1205, 1213)  # lock wait, deadlock
    return "database is locked" in str(error)  # SQLite
