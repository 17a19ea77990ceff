"""District rules: a district's own settings for one app (visit cadence, reminders, report
deadlines, the training policy); without a row the app's defaults apply. The abstract model
holds the shared fields, `district_rule_save` is the one write and `DistrictRuleView` the one
shape of "the district's settings page". Who may change a rule is the owning app's rule."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views import View

from core.forms import add_service_errors
from core.http import AuthenticatedRequest
from core.regions import Level

if TYPE_CHECKING:
    from org.models import User


class DistrictRule(models.Model):
    """Abstract: one district's rule for an app, who changed it last and when. The reverse
    accessor on the region is the model's name in lower case (`region.cadencerule`)."""

    district = models.OneToOneField(
        "org.Region",
        verbose_name=_("district/county"),
        on_delete=models.PROTECT,
        related_name="%(class)s",
        limit_choices_to={"level": Level.DISTRICT},
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return str(self.district)


Rule = TypeVar("Rule", bound=DistrictRule)

BASE_FIELDS = frozenset({"id", "district", "updated_by", "updated_at"})


def rule_fields(model: type[DistrictRule]) -> tuple[str, ...]:
    """The settings of a rule model: its own fields, without the shared ones."""
    return tuple(f.name for f in model._meta.concrete_fields if f.name not in BASE_FIELDS)


def district_rule_save(*, rule: Rule, by: User, data: Mapping[str, Any]) -> Rule:
    """Save `rule` (a district's row, saved or new) with the settings given in `data` and who
    changed it, under a lock of the district's row when there is one. Returns the row saved."""
    model = type(rule)
    with transaction.atomic():
        manager: Any = model._default_manager
        saved: Rule = manager.select_for_update().filter(district_id=rule.district_id).first()
        saved = saved or rule
        for name in rule_fields(model):
            if name in data:
                setattr(saved, name, data[name])
        saved.updated_by = by
        saved._history_user = by  # type: ignore[attr-defined]  # read by simple_history
        saved.save()
    return saved


class DistrictRuleView(View):
    """The district's settings page: the districts the user may set (the first by default, or
    the one chosen), the rule's form with the current row or the defaults, and on a valid POST
    the rule saved, a message and a redirect; 400 with the form when it has errors (a service's
    ValidationError included)."""

    request: AuthenticatedRequest

    http_method_names = ["get", "post"]
    model: type[DistrictRule]
    form_class: type[forms.Form] | type[forms.BaseModelForm[Any]]
    template_name: str
    saved_message: str | Promise

    def districts(self) -> Sequence[Any]:
        """The districts whose rule the user may set."""
        raise NotImplementedError

    def no_district(self) -> NoReturn:
        raise Http404

    def chosen(self) -> str:
        """The key of the district asked for ("" for the first)."""
        value = self.kwargs.get("district_id")
        return "" if value is None else str(value)

    def key(self, district: Any) -> str:
        return str(district.pk)

    def current(self, district: Any) -> DistrictRule:
        """The district's row, or a new one with the defaults."""
        return self.model._default_manager.filter(district=district).first() or self.model(
            district=district
        )

    def make_form(self, rule: DistrictRule) -> forms.BaseForm:
        data = self.request.POST or None
        if issubclass(self.form_class, forms.BaseModelForm):
            return self.form_class(data, instance=rule)
        return self.form_class(
            data, initial={n: getattr(rule, n) for n in self.form_class.base_fields}
        )

    def check_post(self) -> None:
        """Refuse a POST before the form is read (PermissionDenied); nothing by default."""

    def save(self, rule: DistrictRule, form: forms.BaseForm) -> None:
        district_rule_save(rule=rule, by=self.request.user, data=form.cleaned_data)

    def success_url(self, district: Any) -> str:
        raise NotImplementedError

    def context(
        self, form: forms.BaseForm, district: Any, districts: Sequence[Any]
    ) -> dict[str, Any]:
        return {"form": form, "district": district, "districts": districts}

    def get(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.page(request)

    def post(self, request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.page(request)

    def page(self, request: AuthenticatedRequest) -> HttpResponse:
        districts = self.districts()
        if not districts:
            self.no_district()
        district = districts[0]
        chosen = self.chosen()
        if chosen:
            district = next((d for d in districts if self.key(d) == chosen), None)
            if district is None:
                raise Http404
        rule = self.current(district)
        form = self.make_form(rule)
        if request.method == "POST":
            self.check_post()
            if form.is_valid():
                try:
                    self.save(rule, form)
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    messages.success(request, str(self.saved_message))
                    return redirect(self.success_url(district))
        return render(
            request,
            self.template_name,
            self.context(form, district, districts),
            status=400 if form.errors else 200,
        )
