"""Pages of long lists whose exact length is not worth its cost.

A name search in a district of 1,000,000 children may match tens of thousands (a common
surname): the page of 20 is read through the trigram index in a few tens of milliseconds, an
exact count of every match takes ten times as long and tells the user nothing a "more than
1,000" does not (they refine the search, as in DHIS2 Tracker's search). `CappedPaginator`
counts at most `cap + 1` rows and says whether it stopped there."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.utils.functional import cached_property

SEARCH_CAP = 1000


class CappedPaginator(Paginator[Any]):
    def __init__(self, object_list: Any, per_page: int, cap: int | None = None) -> None:
        super().__init__(object_list, per_page)
        self.cap = SEARCH_CAP if cap is None else cap

    @cached_property
    def _capped_count(self) -> int:
        # COUNT(*) over a LIMIT subquery: the database stops at cap + 1 rows. Unordered:
        # which rows are counted does not matter, and an ORDER BY would make it read and sort
        # every match first (a surname in a district: some 20,000 rows read for 1,001).
        rows: Any = self.object_list
        return int(rows.order_by()[: self.cap + 1].count())

    @cached_property
    def count(self) -> int:
        return min(self._capped_count, self.cap)

    @property
    def capped(self) -> bool:
        """More rows match than were counted (the last page shown is the cap's)."""
        return self._capped_count > self.cap
