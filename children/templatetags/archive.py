from __future__ import annotations

import datetime

from django import template

from children.rules import age_on
from core import clock

register = template.Library()


@register.filter
def age(birth: datetime.date | None) -> str:
    """Age in whole years today (with the unit in Chinese, e.g. 11岁)."""
    if birth is None:
        return ""
    from django.utils.translation import gettext

    return gettext("%(years)d yrs") % {"years": age_on(birth, clock.today())}
