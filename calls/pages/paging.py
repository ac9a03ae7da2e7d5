"""Keyset paging for the dashboard's calls list, both ways, on `newest_first`/`oldest_first`."""

from calls.models import CallQuerySet

PER_PAGE = 50


def keyset_page(
    calls: CallQuerySet, cursor: str, after: str
) -> tuple[list, str | None, str | None]:
    """A page of calls newest first, by id and never by OFFSET, so every page costs the same.

    `cursor` asks for the calls older than that id, `after` for those newer. Returns the page
    and the `after` and `cursor` values of the pages either side (None where there is none);
    one extra row is read to know whether the far side has more.
    """
    if after:
        rows = list(calls.oldest_first(after)[: PER_PAGE + 1])
        page = rows[:PER_PAGE][::-1]
        more_newer, more_older = len(rows) > PER_PAGE, True
    else:
        rows = list(calls.newest_first(cursor)[: PER_PAGE + 1])
        page = rows[:PER_PAGE]
        more_newer, more_older = bool(cursor), len(rows) > PER_PAGE
    if not page:
        return page, None, None
    return page, page[0].id if more_newer else None, page[-1].id if more_older else None
