"""Attendance and results of one session from an Excel sheet: template, dry run, commit.

Built on core.spreadsheets, like the roster import: the dry run lists every bad row (row
number, column, reason) and saves nothing about people (only the upload and its report); the
commit writes every row through `training.services` in one transaction, or none.
Rows are matched on the person's account name (账号), so importing the same sheet twice changes
nothing the second time.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from openpyxl import Workbook

from core import clock, spreadsheets, storage
from core.spreadsheets import RowError, SheetError
from org.models import User
from training import services
from training.models import ImportStatus, ResultImport, Session

# The headers are part of the file format (the sheet is filled in by Chinese offices).
USERNAME, NAME, ATTENDED, SCORE, PASSED, ASSESSOR, ASSESSED_ON = (
    "账号",
    "姓名",
    "是否出勤",
    "成绩",
    "是否合格",
    "考核人",
    "考核日期",
)
HEADERS = (USERNAME, NAME, ATTENDED, SCORE, PASSED, ASSESSOR, ASSESSED_ON)
YES = {"是", "出勤", "合格", "通过", "1", "y", "yes", "true"}
NO = {"否", "缺勤", "不合格", "未通过", "0", "n", "no", "false"}


@dataclass
class Row:
    number: int
    user: User
    attended: bool
    score: int | None
    passed: bool | None
    assessor: str
    assessed_on: datetime.date | None


@dataclass
class Parse:
    rows: list[Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _text(value: Any) -> str:
    return spreadsheets.cell_text(value, bool_words=False)


def parse(file: Any, session: Session, today: datetime.date | None = None) -> Parse:
    """Check every row against the session; collect all errors, save nothing."""
    today = today or clock.today()
    result = Parse()

    def err(row: int, column: str, message: str) -> None:
        result.errors.append(RowError(row, column, message))

    rows = spreadsheets.open_rows(file)
    try:
        header = next(rows, None)
    except SheetError as exc:
        raise ValidationError({"file": exc.messages}) from exc
    positions = {_text(h): i for i, h in enumerate(header or ()) if _text(h)}
    missing = [h for h in (USERNAME, SCORE) if h not in positions]
    if missing:
        for h in missing:
            err(0, h, _("The column is missing: use the template."))
        return result
    if session.date > today:
        err(0, "", _("The session is in the future: record attendance after it."))
    raw_rows = [(n, r) for n, r in enumerate(rows, start=2) if any(_text(c) for c in r)]
    names = {_text(r[positions[USERNAME]]) for _n, r in raw_rows if positions[USERNAME] < len(r)}
    people = {u.username: u for u in User.objects.filter(username__in=names)}
    invited = set(session.invitees.filter(username__in=names).values_list("pk", flat=True))
    seen: dict[str, int] = {}

    def cell(row: tuple[Any, ...], header: str) -> str:
        i = positions.get(header)
        return _text(row[i]) if i is not None and i < len(row) else ""

    for number, raw in raw_rows:
        username = cell(raw, USERNAME)
        before = len(result.errors)
        user = people.get(username)
        if not username:
            err(number, USERNAME, _("Give the person's account name."))
        elif user is None:
            err(number, USERNAME, _("No one has the account name %(name)s.") % {"name": username})
        elif user.pk not in invited:
            err(number, USERNAME, _("%(name)s was not invited to this session.") % {"name": user})
        elif username in seen:
            err(
                number,
                USERNAME,
                _("The same person is on row %(row)s already.") % {"row": seen[username]},
            )
        if username:
            seen.setdefault(username, number)
        attended_text = cell(raw, ATTENDED).lower()
        attended = True
        if attended_text in NO:
            attended = False
        elif attended_text and attended_text not in YES:
            err(number, ATTENDED, _("Write 是 or 否."))
        score_text = cell(raw, SCORE)
        score: int | None = None
        if score_text:
            try:
                score = int(float(score_text))
                if float(score_text) != score:
                    raise ValueError
            except ValueError:
                err(number, SCORE, _("The score must be a whole number from 0 to 100."))
            else:
                if not 0 <= score <= 100:
                    err(number, SCORE, _("The score must be a whole number from 0 to 100."))
        passed_text = cell(raw, PASSED).lower()
        passed: bool | None = None
        if passed_text in YES:
            passed = True
        elif passed_text in NO:
            passed = False
        elif passed_text:
            err(number, PASSED, _("Write 合格 or 不合格, or leave it empty."))
        assessor = cell(raw, ASSESSOR)
        if score_text and not assessor:
            err(number, ASSESSOR, _("Give the assessor's name."))
        assessed_on = None
        date_text = cell(raw, ASSESSED_ON)
        if date_text:
            try:
                assessed_on = datetime.date.fromisoformat(date_text[:10])
            except ValueError:
                err(number, ASSESSED_ON, _("Write a date such as 2026-03-08."))
            else:
                if assessed_on > today or assessed_on < session.date:
                    err(
                        number,
                        ASSESSED_ON,
                        _("The assessment date must be between the session and today."),
                    )
        if score_text and not attended:
            err(number, ATTENDED, _("A person with a score attended the session."))
        if len(result.errors) == before and user is not None:
            result.rows.append(Row(number, user, attended, score, passed, assessor, assessed_on))
    if not raw_rows and not result.errors:
        err(0, "", _("The sheet has no rows."))
    return result


def _write_rows(
    parsed: Parse, session: Session, by: User, today: datetime.date | None = None
) -> None:
    """Write every row through the services (in the caller's transaction)."""
    for row in parsed.rows:
        if row.score is None:
            services.attendance_record(
                by=by, session=session, user=row.user, attended=row.attended, today=today
            )
        else:
            services.result_record(
                by=by,
                session=session,
                user=row.user,
                score=row.score,
                passed=row.passed,
                assessor=row.assessor,
                assessed_on=row.assessed_on,
                today=today,
            )


def dry_run(*, by: User, session: Session, upload: Any) -> ResultImport:
    """Keep the upload and its check; nothing about people is written."""
    services._require_manager(by, session)
    parsed = parse(upload, session)
    upload.seek(0)
    record = ResultImport(
        session=session,
        uploaded_by=by,
        original_name=(upload.name or "results.xlsx")[:200],
        row_count=len(parsed.rows) + len({e.row for e in parsed.errors if e.row}),
        errors=[e.as_dict() for e in parsed.errors],
    )
    storage.save_file(record.file, "results.xlsx", upload)
    record.save()
    return record


def commit(*, by: User, record: ResultImport) -> ResultImport:
    """Re-check the kept file and write it, all or nothing."""
    services._require_manager(by, record.session)
    if not record.can_commit:
        raise ValidationError(_("This file has errors or was imported already."))
    with record.file.open("rb") as stream:
        parsed = parse(stream, record.session)
    if not parsed.ok:
        record.errors = [e.as_dict() for e in parsed.errors]
        record.save(update_fields=["errors"])
        raise ValidationError(_("The file no longer passes the check."))
    with spreadsheets.all_or_nothing(commit=True, errors=parsed.errors):
        _write_rows(parsed, record.session, by)
        record.status = ImportStatus.COMMITTED
        record.committed_at = clock.now()
        record.save(update_fields=["status", "committed_at"])
    return record


def write_template(session: Session, file: IO[bytes]) -> None:
    """A sheet listing the session's invitees, ready to fill in."""
    workbook = Workbook()
    sheet = spreadsheets.new_sheet(workbook, "出勤和考核")
    spreadsheets.write_header(sheet, HEADERS, (16, 12, 10, 8, 10, 12, 12))
    for person in session.invitees.order_by("real_name", "pk"):
        sheet.append([person.username, person.real_name, "是", None, None, None, None])
    notes = workbook.create_sheet("填写说明")
    for line in (
        "账号：系统登录账号，按此匹配人员；只能填写本期受邀人员。",
        "是否出勤：是/否，留空为是。",
        "成绩：0-100的整数；留空则只记录出勤。",
        "是否合格：合格/不合格；留空按成绩判定（60分及以上合格）。",
        "考核人：填写成绩时必填。考核日期：如 2026-03-08，留空为培训日期。",
    ):
        notes.append([line])
    workbook.save(file)
