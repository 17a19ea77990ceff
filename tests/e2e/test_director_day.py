"""A director's day on the demo, on a phone (375 px): sign in, open my work, a home visit for
the first overdue child, a phone contact, a child registered from an ID number, a mandatory
report from a visit that found danger. The journey (bench/director_day.py) counts the taps and
the fields typed per task and prints them; bench/bench_web.py times the same journey on the
production configuration. Here each task must complete and store its record once."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.db.models import Q
from django.utils import timezone

from bench import director_day
from children.models import Child
from demo.management.commands import load_demo
from org.models import User
from reports.models import MandatoryReport
from tests.factories import PASSWORD, make_id
from visits.models import Visit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_directors_day_on_the_demo(live_server, clock, phone, monkeypatch):
    monkeypatch.setattr(load_demo, "DEMO_CHILDREN", 300)
    call_command("load_demo", stdout=io.StringIO())
    director = User.objects.get(username="bb_zhuren")
    director.set_password(PASSWORD)
    director.must_change_password = False
    director.save()
    today = clock.today()
    mine = Child.objects.visible_to(director).filter(status="active")
    overdue = set(
        mine.filter(Q(next_contact_due__lt=today) | Q(next_home_visit_due__lt=today)).values_list(
            "pk", flat=True
        )
    )
    assert overdue
    last_visit = Visit.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    birth = datetime.date(2017, 6, 12)
    number = make_id(birth, "F")
    found_at = (timezone.localtime() - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")

    day = director_day.DirectorDay(phone, live_server.url, "bb_zhuren", PASSWORD, found_at=found_at)
    tasks = day.run(
        overdue=overdue,
        id_number=number,
        child_name="陈小雨",
        birth_date=birth.isoformat(),
        gender="F",
    )
    print("\nA director's day on a 375 px phone (taps, fields typed):")
    print(director_day.summary(tasks))
    for task in tasks:
        print(f"  {task.name}: {'; '.join(task.actions)}")

    by_name = {task.name: task for task in tasks}
    assert len(tasks) == 6 and all(task.taps > 0 for task in tasks)
    # The home visit: one, for the first overdue child on my work, by her.
    home = by_name["home visit, first overdue child"].result
    assert home["child"] in overdue
    new_visits = list(Visit.objects.filter(pk__gt=last_visit).order_by("pk"))
    assert all(v.author_id == director.pk for v in new_visits)
    assert [(v.child_id, v.kind) for v in new_visits] == [
        (home["child"], "home_visit"),
        (by_name["phone contact"].result["child"], "phone"),
        (by_name["mandatory report from a danger visit"].result["child"], "home_visit"),
    ]
    assert home["url"].endswith(f"/visits/{new_visits[0].pk}/")
    assert new_visits[2].danger_found
    # The child registered from the ID number, once, in her village, with what the ID says.
    registered = Child.objects.filter(name="陈小雨")
    assert registered.count() == 1
    child = registered.get()
    assert child.id_number == number and child.birth_date == birth and child.gender == "F"
    assert child.created_by == director
    assert by_name["register a child from an ID"].result["url"].endswith(f"/children/{child.pk}/")
    # The report from the danger visit: one, for that child.
    danger_child = by_name["mandatory report from a danger visit"].result["child"]
    report = MandatoryReport.objects.get(child_id=danger_child)
    assert report.immediate_danger and "domestic_violence" in report.situations
    assert (
        by_name["mandatory report from a danger visit"]
        .result["url"]
        .endswith(f"/reports/{report.pk}/")
    )
