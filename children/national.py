"""The archive as the national children's welfare information system takes it (最多报一次).

The columns are those of the national registration form, `children.roster_columns.COLUMNS`
(the roster template's, in its order), and the cells are written by the roster's own
`roster_writing.Writer.columns`: one rule for what the national form says about a child.

Two readings of a region:
* `national_rows`: every active child of the region now;
* `national_changes`: what changed since an instant (the previous export of the region): the
  children new to the region (registered, reopened or moved in since), the children whose
  national columns changed (read from the archive's history, with the changed columns named),
  and the children closed or gone from the region since (their last state before it).

Both read a fixed number of queries whatever the number of children (the full reading per
chunk of `CHUNK` children).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.db.models import OuterRef, Q, QuerySet, Subquery

from children.choices import CloseReason, Status
from children.models import Child, ChildQuerySet, Parent
from children.roster_columns import COLUMNS, DATE, ID, LIST_SEPARATOR, zh_labels
from children.roster_writing import Writer
from core import spreadsheets
from core.scoping import Scope
from org.models import User

CHUNK = 2000
SHEET = "全国儿童福利信息系统"
NATIONAL_HEADERS: tuple[str, ...] = tuple(c.header for c in COLUMNS)
CHANGE_HEADER = "变更类型"
CHANGED_FIELDS_HEADER = "变更字段"
NOTE_HEADER = "说明"
CHANGE_HEADERS = (*NATIONAL_HEADERS, CHANGE_HEADER, CHANGED_FIELDS_HEADER, NOTE_HEADER)

NEW = "new"
CHANGED = "changed"
CLOSED = "closed"
# A file format, like the roster's headers: the labels are Chinese constants.
CHANGE_LABELS = {NEW: "新增", CHANGED: "变更", CLOSED: "注销"}
CHANGE_ORDER = (NEW, CHANGED, CLOSED)
MOVED_AWAY = "已不在本区域"

_POSITION = {header: index for index, header in enumerate(NATIONAL_HEADERS)}
_ID_COLUMNS = frozenset(i for i, c in enumerate(COLUMNS) if c.kind == ID)

Progress = Callable[[int, str], None]


def _no_progress(_percent: int, _step: str) -> None:
    return None


@dataclass
class NationalRow:
    child_id: int
    values: list[Any]
    change: str = ""  # NEW, CHANGED, CLOSED; "" in a full export
    changed: tuple[str, ...] = ()  # the headers of the changed columns
    note: str = ""

    def cells(self) -> list[Any]:
        """The row's cells; for the changes, the kind, the changed columns and the note
        follow, and the changed cells are marked (filled)."""
        if not self.change:
            return self.values
        values = [*self.values, CHANGE_LABELS[self.change], LIST_SEPARATOR.join(self.changed),
                  self.note]  # fmt: skip
        return spreadsheets.MarkedRow(values, (_POSITION[h] for h in self.changed))


@dataclass
class NationalResult:
    """What an export wrote: the rows and sheets (as export jobs count them), the children
    (for the access log) and, for the changes, how many of each kind."""

    rows: int = 0
    sheets: int = 1
    child_ids: list[int] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _area_children(user: User, area: Scope) -> ChildQuerySet:
    """The children of the area that `user` may see (grants outside the area stay out)."""
    return Child.objects.visible_to(user).in_scope(area)


def _current(queryset: QuerySet[Child]) -> QuerySet[Child]:
    return queryset.select_related("village").prefetch_related("categories", "parents")


def _now_values(writer: Writer, child: Child) -> list[Any]:
    return writer.columns(
        child,
        {parent.relation: parent for parent in child.parents.all()},
        {tag.code for tag in child.categories.all()},
        child.village.code,
    )


def national_rows(
    *, user: User, area: Scope, full_ids: bool, progress: Progress = _no_progress
) -> Iterator[NationalRow]:
    """Every active child of the area now, in the archive's order."""
    children = _area_children(user, area).active()
    total = children.count() or 1
    writer = Writer(full_ids)
    for done, child in enumerate(_current(children).iterator(chunk_size=CHUNK), start=1):
        if done % CHUNK == 0:
            progress(done * 100 // total, "children")
        yield NationalRow(child_id=child.pk, values=_now_values(writer, child))


def _latest_before(model: Any, since: datetime.datetime) -> Subquery:
    """The id of each object's last history row at `since` (a subquery on the outer row)."""
    rows = model.objects.filter(id=OuterRef("id"), history_date__lte=since)
    return Subquery(rows.order_by("-history_date", "-history_id").values("history_id")[:1])


def _touched_since(since: datetime.datetime, field: str) -> Q:
    """Children (by `field`, their id) with a history row, theirs or a parent's, after
    `since`: subqueries, not lists."""
    child_rows = Child.history.model.objects.filter(history_date__gt=since).values("id")
    parent_rows = Parent.history.model.objects.filter(history_date__gt=since).values("child_id")
    return Q(**{f"{field}__in": child_rows}) | Q(**{f"{field}__in": parent_rows})


def _as_was(model: type[Child] | type[Parent], record: Any) -> Any:
    """The object as a history row recorded it, unsaved. Not the row's `instance`, which
    reads the fields the history leaves out from the database (a query per row)."""
    fields = model._meta.concrete_fields
    return model(
        **{f.attname: getattr(record, f.attname) for f in fields if hasattr(record, f.attname)}
    )


def _masked(values: list[Any], masked: list[Any]) -> list[Any]:
    return [masked[i] if i in _ID_COLUMNS else v for i, v in enumerate(values)]


def national_changes(
    *,
    user: User,
    area: Scope,
    since: datetime.datetime,
    full_ids: bool,
    progress: Progress = _no_progress,
) -> list[NationalRow]:
    """The changes in the area since `since`: new children, children whose national columns
    changed (named), and children closed or gone. Only children with a history row (theirs
    or a parent's) after `since` can have changed, so only they are read."""
    child_history = Child.history.model
    parent_history = Parent.history.model
    touched = _touched_since(since, "pk")
    now = {c.pk: c for c in _current(_area_children(user, area).active().filter(touched))}
    progress(20, "children")
    before = {
        row.id: row
        for row in child_history.objects.filter(
            _touched_since(since, "id"),
            area.q("region_code"),
            history_date__lte=since,
            history_id=_latest_before(child_history, since),
            status=Status.ACTIVE,
        )
        .exclude(history_type="-")
        .prefetch_related("historicalchild_categories_set")
    }
    progress(40, "history")
    before_parents: dict[int, dict[str, Parent]] = {}
    for row in parent_history.objects.filter(
        child_id__in=list(before), history_date__lte=since
    ).filter(history_id=_latest_before(parent_history, since)):
        if row.history_type != "-":
            before_parents.setdefault(row.child_id, {})[row.relation] = _as_was(Parent, row)
    gone_ids = [pk for pk in before if pk not in now]
    gone = {
        c.pk: c
        for c in _area_children(user, area)
        .filter(pk__in=gone_ids)
        .only("pk", "status", "close_reason", "closed_on", "region_code")
    }
    progress(60, "compare")

    compare = Writer(full_ids=True)
    shown = compare if full_ids else Writer(full_ids=False)
    close_labels = zh_labels(CloseReason)
    rows: list[NationalRow] = []
    for pk, child in now.items():
        current = _now_values(compare, child)
        out = current if full_ids else _masked(current, _now_values(shown, child))
        if pk not in before:
            rows.append(NationalRow(child_id=pk, values=out, change=NEW))
            continue
        record = before[pk]
        old_child = _as_was(Child, record)
        previous = compare.columns(
            old_child,
            before_parents.get(pk, {}),
            {row.categorytag_id for row in record.historicalchild_categories_set.all()},
            record.region_code,
        )
        pairs = zip(NATIONAL_HEADERS, previous, current, strict=True)
        changed = tuple(header for header, was, now_ in pairs if was != now_)
        if changed:
            rows.append(NationalRow(child_id=pk, values=out, change=CHANGED, changed=changed))
    for pk in gone_ids:
        record = before[pk]
        old_child = _as_was(Child, record)
        parents = before_parents.get(pk, {})
        categories = {row.categorytag_id for row in record.historicalchild_categories_set.all()}
        values = shown.columns(old_child, parents, categories, record.region_code)
        closed = gone.get(pk)
        if closed is not None and closed.status == Status.CLOSED:
            reason = close_labels.get(closed.close_reason, closed.close_reason)
            note = f"{reason} {closed.closed_on:%Y-%m-%d}" if closed.closed_on else reason
        else:
            note = MOVED_AWAY
        rows.append(NationalRow(child_id=pk, values=values, change=CLOSED, note=note))
    village = NATIONAL_HEADERS.index(next(c.header for c in COLUMNS if c.key == "village"))
    name = NATIONAL_HEADERS.index(next(c.header for c in COLUMNS if c.key == "name"))
    rows.sort(key=lambda r: (CHANGE_ORDER.index(r.change), r.values[village], r.values[name]))
    progress(80, "write")
    return rows


def write_national(
    rows: Iterator[NationalRow] | list[NationalRow], file: IO[bytes], *, changes: bool
) -> NationalResult:
    """The workbook: one sheet, the national columns (and, for the changes, the kind of
    change, the changed columns and a note, the changed cells filled), identity numbers and
    codes as text."""
    result = NationalResult(counts=dict.fromkeys(CHANGE_ORDER, 0) if changes else {})

    def cells() -> Iterator[list[Any]]:
        for row in rows:
            result.child_ids.append(row.child_id)
            if row.change:
                result.counts[row.change] += 1
            yield row.cells()

    result.rows = spreadsheets.write_xlsx(
        cells(),
        file,
        sheet=SHEET,
        headers=CHANGE_HEADERS if changes else NATIONAL_HEADERS,
        widths=[c.width for c in COLUMNS] + ([8, 30, 20] if changes else []),
        text_columns=frozenset(i for i, c in enumerate(COLUMNS) if c.as_text),
        date_columns=frozenset(i for i, c in enumerate(COLUMNS) if c.kind == DATE),
    )
    return result
