"""The field app's own words, through Django's catalogue like every page's (zh-Hans first);
the app's script reads them from the shell's configuration."""

from __future__ import annotations

from django.utils.translation import gettext as _


def strings() -> dict[str, str]:
    return {
        "online": _("Online"),
        "offline": _("No network: entries wait on this phone"),
        "synced_at": _("data from %(when)s"),
        "never_synced": _("not yet downloaded"),
        "stale": _(
            "The data on this phone is too old to be shown. Connect to the network and sign in "
            "again."
        ),
        "loading": _("Downloading your children…"),
        "no_cache": _(
            "Nothing is kept on this phone yet. Open this page once with a network after signing "
            "in."
        ),
        "not_cached": _("This child is not kept on this phone."),
        "revoked": _(
            "This account may no longer keep children's data on a phone: what it held here was "
            "deleted."
        ),
        "register": _("Register a child"),
        "report": _("File a mandatory report"),
        "my_children": _("My children"),
        "key_child": _("key child"),
        "years": _(" years"),
        "next_contact": _("Next contact due"),
        "next_home_visit": _("Next home visit due"),
        "open_items": _("%(n)s open follow-up items"),
        "rectifications": _("Rectification items of the village"),
        "findings": _("Findings from department lists"),
        "visit_by": _("visit by"),
        "age": _("Age"),
        "birth_date": _("Date of birth"),
        "id_number": _("ID number"),
        "village": _("Village/community"),
        "categories": _("Categories"),
        "guardian": _("Guardian"),
        "phone": _("Carer's phone"),
        "school": _("School"),
        "log_visit": _("Log a visit"),
        "add_note": _("Add a work-log note"),
        "edit_contact": _("Change contact details"),
        "follow_ups": _("Open follow-up items"),
        "mark_done": _("Mark done"),
        "outbox": _("Outbox"),
        "saved_on_phone": _("Saved on this phone. It is sent as soon as there is a network."),
        "send_now": _("Send now"),
        "outbox_empty": _("Nothing is waiting to be sent."),
        "correct": _("Correct and resend"),
        "settle": _("Choose"),
        "state_waiting": _("waiting"),
        "state_sending": _("sending"),
        "state_sent": _("sent"),
        "state_refused": _("refused"),
        "state_conflict": _("conflict"),
        "entry_visit": _("Visit: %(name)s"),
        "entry_note": _("Work-log note: %(name)s"),
        "entry_edit": _("Contact details: %(name)s"),
        "entry_child": _("New child: %(name)s"),
        "entry_report": _("Mandatory report: %(name)s"),
        "entry_done": _("Follow-up item done: %(name)s"),
        "conflict_title": _("Changed by someone else too"),
        "applied": _("Applied: %(fields)s."),
        "yours": _("Yours"),
        "theirs": _("On the server (%(who)s, %(when)s)"),
        "apply_choice": _("Apply my choice"),
        "likely_title": _("This child may already have an archive"),
        "likely_hint": _("Check each archive. If none is this child, register it anyway."),
        "not_same_child": _("Not the same child: register"),
        "sign_in_again": _("Your session has ended. Sign in again: nothing on this phone is lost."),
    }
