"""A director's open findings as her phone keeps them (visits.offline, through the setting
OFFLINE_TASKS): what (the rule and what it asks), which child (the archive's name, or the
list's for a child not registered), the village and the due date. Nothing else of the row: no
ID number, birth date, address or details."""

from __future__ import annotations

import datetime

from matching.rules import describe
from matching.selectors import my_findings
from org.models import User
from visits.offline import OfflineTask


def phone_findings(user: User, today: datetime.date) -> list[OfflineTask]:
    """The open findings of "my work" (selectors.my_findings: a fixed number of queries)."""
    return [
        OfflineTask(
            kind="finding",
            id=f.pk,
            title=str(f.get_rule_display()),
            text=describe(f),
            child_id=f.child_id,
            name=f.child.name if f.child else f.row.name,
            village_code=f.village.code,
            due_on=f.due_on,
        )
        for f in my_findings(user)
    ]
