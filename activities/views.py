"""Pages of care activities: the list (phone and laptop), recording one (a director in her
village, a supervisor for her town, district staff), one activity with the children who took
part that the reader may see, its photos (served after the scope check), the year's
dashboard and the district's reminder rule."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from activities import selectors, services
from activities.forms import ActivityForm
from activities.models import Activity, ActivityKind, ActivityPhoto, ActivityRule, SafetyTopic
from children.attachments import download_name, extension_for
from children.document_views import PRIVATE_HEADERS
from children.models import Child
from core import clock, permissions
from core.district_rules import DistrictRuleView
from core.forms import add_service_errors
from core.http import AuthenticatedRequest
from core.storage import open_for_download, serves_stored_files
from org.models import Region

PAGE_SIZE = 30


def _require_sees(request: AuthenticatedRequest) -> None:
    if not services.sees_activities(request.user):
        raise Http404


def _year(request: AuthenticatedRequest) -> int:
    value = request.GET.get("year", "")
    today = clock.today()
    return int(value) if value.isdigit() and 2000 <= int(value) <= today.year else today.year


@require_GET
def activity_list(request: AuthenticatedRequest) -> HttpResponse:
    _require_sees(request)
    params = {
        "kind": request.GET.get("kind", "")
        if request.GET.get("kind") in ActivityKind.values
        else "",
        "year": _year(request),
    }
    page = Paginator(selectors.activities_for(request.user, params), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "activities/list.html",
        {
            "page": page,
            "kinds": ActivityKind.choices,
            "params": params,
            "may_record": services.may_record(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
def activity_new(request: AuthenticatedRequest) -> HttpResponse:
    _require_sees(request)
    if not services.may_record(request.user):
        raise PermissionDenied(_("Your role does not record activities."))
    regions = services.organiser_regions(request.user)
    if not regions:
        raise Http404
    if request.method == "POST":
        permissions.require_work(request.user)
    chosen = request.POST.get("region", "")
    region = next((r for r in regions if str(r.pk) == chosen), regions[0])
    form = ActivityForm(
        request.POST or None,
        request.FILES or None,
        regions=regions,
        providers=services.providers_for(region),
        children=Child.objects.visible_to(request.user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            activity, created = services.activity_record(
                by=request.user,
                values=form.values(),
                children=list(form.cleaned_data["children"]),
                photos=form.cleaned_data["photos"],
                client_uuid=form.cleaned_data["client_uuid"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if created:
                messages.success(request, _("The activity has been recorded."))
            return redirect("activities:detail", pk=activity.pk)
    return render(
        request,
        "activities/form.html",
        {"form": form, "safety": ActivityKind.SAFETY, "topics": SafetyTopic.choices},
        status=400 if form.errors else 200,
    )


@require_GET
def activity_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    # activities_for is the caller's scope (visible_to): out of it, a 404.
    activity: Any = (
        selectors.activities_for(request.user).prefetch_related("photos").filter(pk=pk).first()
    )
    if activity is None:
        raise Http404
    seen = activity.seen_attendances
    return render(
        request,
        "activities/detail.html",
        {
            "activity": activity,
            "attendances": seen,
            "others": activity.children_count - len(seen),
            "topics": [SafetyTopic(t).label for t in activity.topics if t in SafetyTopic.values],
        },
    )


@require_GET
@serves_stored_files
def activity_photo(request: AuthenticatedRequest, pk: int) -> FileResponse:
    photo = ActivityPhoto.objects.filter(
        pk=pk, activity__in=Activity.objects.visible_to(request.user)
    ).first()
    if photo is None:
        raise Http404
    stream = open_for_download(photo.file.storage, photo.file.name)
    response = FileResponse(
        stream,
        content_type=photo.content_type,
        as_attachment=True,
        filename=download_name(photo.original_name, extension_for(photo.content_type)),
    )
    for header, value in PRIVATE_HEADERS.items():
        response[header] = value
    return response


@require_GET
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    _require_sees(request)
    year = _year(request)
    figures = selectors.dashboard(request.user, year)
    page = Paginator(figures.children_without, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "activities/dashboard.html",
        {"d": figures, "page": page, "year": year, "this_year": clock.today().year},
    )


class ActivityRuleForm(forms.ModelForm[ActivityRule]):
    class Meta:
        model = ActivityRule
        fields = ["remind_month", "remind_day"]


class ActivityRulePage(DistrictRuleView):
    model = ActivityRule
    form_class = ActivityRuleForm
    template_name = "includes/simple_form.html"
    saved_message = gettext_lazy("The activity rule has been saved.")

    def districts(self) -> list[Region]:
        return services.may_set_rule(self.request.user)

    def chosen(self) -> str:
        return self.request.GET.get("district") or ""

    def check_post(self) -> None:
        permissions.require_work(self.request.user)

    def success_url(self, district: Region) -> str:
        return self.request.get_full_path()

    def context(
        self, form: forms.BaseForm, district: Region, districts: Sequence[Region]
    ) -> dict[str, Any]:
        return {
            "form": form,
            "title": _("Safety-education reminders of %(district)s") % {"district": district.name},
            "back": "activities:dashboard",
        }


activity_rule = ActivityRulePage.as_view()
