"""Page numbers of lists: one bound for every page and API operation that lists rows."""
from __future__ import annotations

MAX_PAGE = 10_000   # far past any list's end; a bigger number would overflow the database's OFFSET


def page_number(args) -> int:
    """The page asked for in a query (?page=): 1 when missing, not a number or below 1; at most MAX_PAGE."""
    try:
        return min(MAX_PAGE, max(1, int(args.get("page", 1))))
    except (TypeError, ValueError):
        return 1
