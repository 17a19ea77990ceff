"""A person's training file as an Excel workbook: their certification and every session."""

from __future__ import annotations

from typing import IO

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from core import spreadsheets
from training.selectors import TrainingFile


def training_file_write(*, file: TrainingFile, stream: IO[bytes]) -> None:
    """Write `file` (selectors.training_file) to `stream` as .xlsx: the person and their
    certification on top, then one row per session."""
    owner = file.person
    workbook = Workbook()
    sheet = spreadsheets.new_sheet(workbook, _("Training file")[:31])
    status = file.status
    sheet.append([_("Name"), owner.real_name, _("Account"), owner.username])
    sheet.append(
        [
            _("Certified on"),
            status.certified_on.isoformat()
            if status and status.certified_on
            else _("Not certified"),
            _("Last passed on"),
            status.last_passed_on.isoformat() if status and status.last_passed_on else "",
            _("Annual training due"),
            status.renewal_due_on.isoformat() if status and status.renewal_due_on else "",
        ]
    )
    sheet.append([])
    header = [
        _("Date"),
        _("Course"),
        _("Organised by"),
        _("Place"),
        _("Trainer"),
        _("Attended"),
        _("Score"),
        _("Result"),
        _("Assessor"),
        _("Assessed on"),
    ]
    sheet.append(header)
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    for row in file.rows:
        session, attendance, result = row["session"], row["attendance"], row["result"]
        sheet.append(
            [
                session.date.isoformat(),
                session.course.title,
                session.region.name,
                session.place,
                session.trainer,
                (_("Yes") if attendance.attended else _("No")) if attendance else "",
                result.score if result else "",
                (_("Passed") if result.passed else _("Failed")) if result else "",
                result.assessor if result else "",
                result.assessed_on.isoformat() if result else "",
            ]
        )
    workbook.save(stream)
