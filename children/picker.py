"""A search-as-you-type picker: a widget (a search box, a hidden input holding the chosen id,
and a list htmx fills as the user types) and the endpoint listing at most PICKER_LIMIT
children in the user's scope. Forms keep a ModelChoiceField over a scoped queryset, so the
server still validates the chosen id against the scope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from children.choices import Status
from children.models import Child
from children.selectors import search
from core.http import AuthenticatedRequest
from org.models import User

PICKER_LIMIT = 20


class PickerWidget(forms.Widget):
    """A search box posting nothing itself, and a hidden input named like the field. `url`
    answers GET ?q=… with buttons carrying data-pick (the id) and data-label; `label` gives
    the text shown for an already chosen id (None when the id is not acceptable)."""

    def __init__(
        self,
        url: str = "",
        *,
        label: Callable[[Any], str | None] | None = None,
        placeholder: str = "",
        attrs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(attrs)
        self.url = url
        self.label = label
        self.placeholder = placeholder

    def id_for_label(self, id_: str) -> str:
        return f"{id_}_search" if id_ else id_

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        base_id = final.pop("id", None) or f"id_{name}"
        css = final.pop("class", "form-control")
        shown = ""
        if value not in (None, "") and self.label is not None:
            shown = self.label(value) or ""
            if not shown:
                value = ""
        extra = mark_safe(  # noqa: S308 - each part is escaped by format_html
            " ".join(
                format_html('{}="{}"', key, val)
                for key, val in final.items()
                if key in ("aria-invalid", "aria-describedby") and val not in (None, False)
            )
        )
        return format_html(
            '<div class="position-relative" data-picker>'
            '<input type="hidden" name="{name}" id="{id}" value="{value}" data-picker-value>'
            '<input type="search" id="{id}_search" name="q" class="{css}" value="{shown}" '
            'placeholder="{placeholder}" autocomplete="off" form="{id}_none" {extra} '
            'hx-get="{url}" hx-trigger="input changed delay:250ms, focus once" '
            'hx-target="#{id}_results" hx-sync="this:replace" data-picker-search>'
            '<div id="{id}_results" class="list-group mt-1" data-picker-results '
            'aria-live="polite"></div>'
            '<script src="{script}" defer></script></div>',
            name=name,
            id=base_id,
            value="" if value is None else value,
            css=css,
            shown=shown,
            placeholder=self.placeholder,
            extra=extra,
            url=self.url,
            script=static("children/picker.js"),
        )


class ChildPickerWidget(PickerWidget):
    """Picks a child in scope: the form sets `queryset` (the field's scoped queryset)."""

    def __init__(self, *, active_only: bool = False, **kwargs: Any) -> None:
        from django.urls import reverse_lazy

        kwargs.setdefault("placeholder", _("Type a name, pinyin, initials or ID number"))
        super().__init__(**kwargs)
        self.active_only = active_only
        # ModelChoiceField hands its (scoped) queryset to the widget as `choices`.
        self.choices: Any = ()
        self._url = reverse_lazy("children:picker")

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        self.url = str(self._url) + ("?" + urlencode({"active": 1}) if self.active_only else "")
        self.label = self._label
        return super().render(name, value, attrs, renderer)

    def _label(self, value: Any) -> str | None:
        queryset = getattr(self.choices, "queryset", None)
        if queryset is None:
            return None
        try:
            child = queryset.filter(pk=value).only("name").first()
        except (TypeError, ValueError):
            return None
        return child.name if child is not None else None


class ChildPickerField(forms.ModelChoiceField[Child]):
    """A ModelChoiceField whose widget is the picker; the field hands its queryset (scoped by
    the form) to the widget, which shows the name of a chosen child."""

    def __init__(self, *, active_only: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Child.objects.none())
        kwargs["widget"] = ChildPickerWidget(active_only=active_only)
        super().__init__(**kwargs)


def picker_children(user: User, text: str, *, active_only: bool = False) -> list[Child]:
    """At most PICKER_LIMIT children `user` may see matching `text` (children.selectors
    search: 汉字 name, pinyin, initials, exact ID number); one query."""
    children = Child.objects.visible_to(user)
    if active_only:
        children = children.filter(status=Status.ACTIVE)
    return list(
        search(children, text)
        .select_related("village")
        .only("pk", "name", "birth_date", "status", "village__name")
        .order_by("name_pinyin", "pk")[:PICKER_LIMIT]
    )


@require_GET
def child_picker(request: AuthenticatedRequest) -> HttpResponse:
    text = request.GET.get("q", "")
    children = picker_children(request.user, text, active_only=request.GET.get("active") == "1")
    return render(
        request,
        "children/picker_results.html",
        {"children": children, "limit": PICKER_LIMIT, "text": text},
    )
