"""The roles a person holds through an assignment to a region, and which of them see data.

Defined in the foundation because scoping (core.scoping) and the rules of what a role may do
(core.permissions) both need them; `org.models` assigns them to regions.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CHILD_DIRECTOR = "child_director", _("Child director")
    SUPERVISOR = "supervisor", _("Child supervisor")
    CIVIL_AFFAIRS = "civil_affairs", _("Civil-affairs staff")
    PROTECTION_CENTRE = "protection_centre", _("Protection centre")
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    SECURITY_ADMIN = "security_admin", _("Security administrator")
    AUDIT_ADMIN = "audit_admin", _("Audit administrator")
    SERVICE_PROVIDER = "service_provider", _("Service provider")


# Roles whose region is a scope over children's data. The three admin roles (三员分立) manage
# the deployment and never see case data through their assignment.
DATA_ROLES = frozenset(
    {Role.CHILD_DIRECTOR, Role.SUPERVISOR, Role.CIVIL_AFFAIRS, Role.PROTECTION_CENTRE}
)
ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})
# The staff of a service provider (issue 17, part 4), linked to their provider
# (providers.ProviderStaff). NOT a data role: its region is no scope over children; its reach is
# the children referred to its provider while the referral is open, through the referral
# (providers.models.ServiceReferralQuerySet.visible_to), and only the fields the referral needs.
PROVIDER_ROLES = frozenset({Role.SERVICE_PROVIDER})
# Roles that reach any child's data at all (a region or open referrals): an administrator holds
# none of them (三员分立, org.separation).
CASE_ROLES = DATA_ROLES | PROVIDER_ROLES
# The people the certification gate (R6/R7) applies to, when these are their only data roles.
GATED_ROLES = frozenset({Role.CHILD_DIRECTOR, Role.SUPERVISOR})
# The people who must sign in with a second factor (等保2.0 三级, issue 19 §3): the three
# administrators and district staff (civil affairs, the protection centre); optional for others.
TWO_FACTOR_ROLES = ADMIN_ROLES | frozenset({Role.CIVIL_AFFAIRS, Role.PROTECTION_CENTRE})
