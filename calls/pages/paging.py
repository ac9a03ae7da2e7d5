"""Keyset paging for the dashboard's calls list, both ways, on calls.outliers' orders."""

from calls import outliers
from calls.models import CallQuerySet

PER_PAGE = 50


def keyset_page(
    calls: CallQuerySet, sort: str, cursor: outliers.Cursor | str, after: outliers.Cursor | str
) -> tuple[list, str | None, str | None]:
    """A page of calls newest first (or largest first by `sort`), in keyset order and never by
    OFFSET, so every page costs the same.

    `cursor` asks for the calls after that one in the list's order, `after` for those before
    it. Returns the page and the `after` and `cursor` values of the pages either side (None
    where there is none); one extra row is read to know whether the far side has more.
    """
    if after:
        rows = list(outliers.in_reverse(calls, sort, after)[: PER_PAGE + 1])
        page = rows[:PER_PAGE][::-1]
        more_newer, more_older = len(rows) > PER_PAGE, True
    else:
        rows = list(outliers.in_order(calls, sort, cursor)[: PER_PAGE + 1])
        page = rows[:PER_PAGE]
        more_newer, more_older = bool(cursor), len(rows) > PER_PAGE
    if not page:
        return page, None, None
    newer = outliers.cursor_of(page[0], sort) if more_newer else None
    return page, newer, outliers.cursor_of(page[-1], sort) if more_older else None
