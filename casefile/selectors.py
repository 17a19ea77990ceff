"""What the child's archive page shows: the child's records, recent visits and timeline."""

from __future__ import annotations

from typing import Any

from casefile.timeline import child_transfers, timeline
from caseplans import rules as plan_rules
from caseplans.models import OPEN_STATUSES, CasePlan
from children import family, risk
from children.forms import RECORD_TITLES
from children.models import Child
from core import clock, permissions
from org.models import User
from providers.models import ServiceReferral
from reports import filing
from transfers import services as transfer_services
from transfers.models import TransferStatus


def child_page(child: Child, viewer: User) -> dict[str, Any]:
    """The context of the archive page of `child` as `viewer` (who may see it) reads it."""
    show_id = permissions.can_view_identifier(viewer)
    transfers = child_transfers(child)
    return {
        "child": child,
        "parents": list(child.parents.all()),
        "categories": child.categories.all(),
        "assistance": child.assistances.select_related("created_by"),
        "referrals": child.referrals.select_related("created_by"),
        "service_referrals": ServiceReferral.objects.visible_to(viewer)
        .filter(child=child)
        .select_related("provider"),
        "notes": child.worknotes.select_related("created_by")[:20],
        "problems": child.problems.select_related("created_by"),
        "attachments": child.attachments.select_related("created_by"),
        "visits": child.visits.select_related("author").order_by("-visit_date", "-pk")[:10],
        "timeline": timeline(child, viewer=viewer, transfers=transfers),
        "warnings": family.child_warnings(child=child),
        "show_id": show_id,
        "id_number": child.id_number if show_id else child.id_masked,
        "can_edit": permissions.can_edit_archives(viewer),
        "can_add": permissions.can_add_records(viewer),
        "can_file_report": filing.may_file(viewer),
        "can_transfer": transfer_services.may_start(viewer, child),
        "open_transfer": next((t for t in transfers if t.status == TransferStatus.REQUESTED), None),
        "record_titles": RECORD_TITLES,
        "today": clock.today(),
        "plans": (plans := list(CasePlan.objects.filter(child=child).order_by("-created_at")[:5])),
        "needs_plan": not any(p.status in OPEN_STATUSES for p in plans)
        and plan_rules.needs_plan(child),
        "may_write_plan": plan_rules.may_write(viewer, child)
        and not any(p.status in OPEN_STATUSES for p in plans),
        "risk_reasons": [risk.reason_text(reason) for reason in child.risk_reasons],
        "risk_change": (change := child.risk_changes.order_by("-changed_at", "-pk").first()),
        "risk_change_reasons": risk.change_reasons(change) if change else [],
    }
