"""Courses, sessions, results, certification, rotation, files, coverage, import and API."""

import datetime
import io

import openpyxl
import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from org.models import Region
from tests import clock as suite_clock
from tests.factories import (
    BEIBEI,
    JINGGUAN,
    RONGXI,
    TIANSHENG,
    XINGCHENG,
    XIUSHAN,
    certify,
    make_user,
    trained_on,
)
from training import importing, selectors, services
from training.models import (
    Attendance,
    OrganiserLevel,
    Result,
    Rotation,
    Topic,
    TrainingStatus,
)

TODAY = suite_clock.today()
DAY = TODAY - datetime.timedelta(days=22)  # the sessions' day


def api_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def course(people):
    return services.course_save(
        by=people["civil"], title="儿童主任培训", topics=[Topic.HOME_VISITS, Topic.FAMILY_EDUCATION]
    )


@pytest.fixture
def town_session(people, course, uncertified):
    """A town session of 静观镇 by its supervisor, inviting the town's directors."""
    return services.session_save(
        by=people["supervisor"],
        data=services.SessionInput(
            course=course,
            organiser_level=OrganiserLevel.TOWN,
            region=Region.objects.get(code=JINGGUAN),
            date=DAY,
            place="镇政府会议室",
            trainer="陈老师",
            invitees=[uncertified["director"], people["director"], people["neighbour"]],
        ),
    )


def result(by, session, user, score, **kw):
    kw.setdefault("assessor", "考核员")
    kw.setdefault("today", TODAY)
    return services.result_record(by=by, session=session, user=user, score=score, **kw)


# --- Sessions and R8 -------------------------------------------------------------------------


def test_a_session_outside_the_organisers_region_is_refused(people, course):
    def plan(by, level, code):
        return services.session_save(
            by=by,
            data=services.SessionInput(
                course=course,
                organiser_level=level,
                region=Region.objects.get(code=code),
                date=DAY,
                place="x",
                trainer="y",
                invitees=[],
            ),
        )

    with pytest.raises(ValidationError) as exc:
        plan(people["supervisor"], OrganiserLevel.TOWN, "500109001000")  # another town
    assert "region" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        plan(people["supervisor"], OrganiserLevel.DISTRICT, BEIBEI)  # supervisors: town only
    assert "region" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        plan(people["director"], OrganiserLevel.TOWN, JINGGUAN)
    assert plan(people["civil"], OrganiserLevel.DISTRICT, BEIBEI).pk


def test_town_sessions_invite_only_the_towns_directors(people, course):
    with pytest.raises(ValidationError) as exc:
        services.session_save(
            by=people["supervisor"],
            data=services.SessionInput(
                course=course,
                organiser_level=OrganiserLevel.TOWN,
                region=Region.objects.get(code=JINGGUAN),
                date=DAY,
                place="x",
                trainer="y",
                invitees=[people["other_director"], people["supervisor"]],
            ),
        )
    assert "invitees" in exc.value.message_dict


def test_sessions_are_scoped(people, town_session, client, django_assert_max_num_queries):
    for who in ("civil", "supervisor", "director"):
        client.force_login(people[who])
        with django_assert_max_num_queries(12):
            body = client.get(reverse("training:index")).content.decode()
        assert f'data-session="{town_session.pk}"' in body, who
        assert (
            client.get(reverse("training:session_detail", args=[town_session.pk])).status_code
            == 200
        )
    for who in ("other_civil", "other_supervisor", "other_director"):
        client.force_login(people[who])
        assert (
            f'data-session="{town_session.pk}"'
            not in client.get(reverse("training:index")).content.decode()
        )
        url = reverse("training:session_detail", args=[town_session.pk])
        assert client.get(url).status_code == 404, who
    seen = api_for(people["other_supervisor"]).get("/api/v1/training/sessions/").json()
    assert town_session.pk not in {s["id"] for s in seen["results"]}


# --- Attendance, results, certification ------------------------------------------------------


def test_bad_results_are_refused_and_nothing_is_saved(people, town_session):
    sup = people["supervisor"]
    with pytest.raises(ValidationError) as exc:
        result(sup, town_session, people["director"], 101)
    assert "score" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        result(sup, town_session, people["other_director"], 80)
    assert "user" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.attendance_record(
            by=sup, session=town_session, user=people["director"], today=DAY - datetime.timedelta(1)
        )
    assert "session" in exc.value.message_dict
    assert not Result.objects.filter(session=town_session).exists()
    assert not Attendance.objects.filter(session=town_session).exists()
    with pytest.raises(PermissionDenied):  # another town's supervisor is not the organiser
        result(make_user("supervisor", "500109001000"), town_session, people["director"], 80)


def test_passing_certifies_and_a_corrected_fail_uncertifies(people, uncertified, town_session):
    sup, new = people["supervisor"], uncertified["director"]
    result(sup, town_session, new, 85)
    status = TrainingStatus.objects.get(user=new)
    assert status.certified_on == DAY and status.renewal_due_on == suite_clock.add_months(DAY, 12)
    from core import permissions

    new = type(new).objects.get(pk=new.pk)
    assert permissions.work_refusal(new) is None
    result(sup, town_session, new, 40)  # corrected: it was a fail
    status.refresh_from_db()
    assert status.certified_on is None and status.last_passed_on is None
    assert permissions.work_refusal(new) is not None
    assert Result.objects.filter(user=new).count() == 1  # corrected, not duplicated


def test_a_correction_keeps_certification_from_another_pass(people, town_session):
    director = people["director"]  # certified on trained_on() by the fixture
    result(people["supervisor"], town_session, director, 90)
    result(people["supervisor"], town_session, director, 10)
    status = TrainingStatus.objects.get(user=director)
    assert status.certified_on == trained_on()


# --- Rotation (R7) ---------------------------------------------------------------------------


@pytest.mark.calendar
def test_rotation_flags_at_11_and_13_months(people, client):
    director = people["director"]
    passed = trained_on()
    eleven, thirteen = suite_clock.add_months(passed, 11), suite_clock.add_months(passed, 13)
    assert services.rotation_sweep(today=eleven - datetime.timedelta(days=1))["due"] == 0
    services.rotation_sweep(today=eleven)
    assert TrainingStatus.objects.get(user=director).rotation == Rotation.DUE
    services.rotation_sweep(today=thirteen)
    assert TrainingStatus.objects.get(user=director).rotation == Rotation.LAPSED
    assert services.rotation_sweep(today=thirteen) == {
        "lapsed": 0,
        "due": 0,
        "current": 0,
    }  # idempotent
    due = selectors.due_workers(people["supervisor"], eleven)
    assert director.pk in {s.user_id for s in due}
    assert director.pk not in {
        s.user_id for s in selectors.due_workers(people["other_supervisor"], eleven)
    }


def test_rotation_task_runs(people):
    from training.tasks import flag_rotation

    assert set(flag_rotation.delay().get()) == {"lapsed", "due", "current"}


def test_due_page_and_home_notice(people, client, django_assert_max_num_queries):
    TrainingStatus.objects.filter(user=people["director"]).update(
        renewal_flag_on=datetime.date(2026, 1, 1), rotation=Rotation.DUE
    )
    client.force_login(people["civil"])
    with django_assert_max_num_queries(10):
        body = client.get(reverse("training:due")).content.decode()
    assert f'data-user="{people["director"].pk}"' in body
    assert 'data-testid="training-due"' in client.get(reverse("home")).content.decode()
    client.force_login(people["director"])
    assert 'data-testid="training-notice"' in client.get(reverse("home")).content.decode()
    assert client.get(reverse("training:due")).status_code == 403
    client.force_login(people["other_civil"])
    assert (
        f'data-user="{people["director"].pk}"'
        not in client.get(reverse("training:due")).content.decode()
    )


# --- Training files --------------------------------------------------------------------------


def test_training_file_is_scoped(people, client, django_assert_max_num_queries):
    director = people["director"]
    url = reverse("training:file", args=[director.pk])
    for who in ("director", "supervisor", "civil"):
        client.force_login(people[who])
        with django_assert_max_num_queries(13):  # +1: the unread-notification badge
            response = client.get(url)
        assert response.status_code == 200, who
        assert 'data-state="certified"' in response.content.decode()
    for who in ("neighbour", "other_supervisor", "other_civil", "centre"):
        client.force_login(people[who])
        assert client.get(url).status_code == 404, who
    client.force_login(people["neighbour"])
    assert (
        api_for(people["neighbour"]).get(f"/api/v1/training/files/{director.pk}/").status_code
        == 404
    )
    # A supervisor does not see another supervisor's file; the district does.
    client.force_login(people["supervisor"])
    assert (
        client.get(reverse("training:file", args=[people["other_supervisor"].pk])).status_code
        == 404
    )


def test_training_file_export_and_print(people, client):
    director = people["director"]
    client.force_login(people["supervisor"])
    response = client.get(reverse("training:file_export", args=[director.pk]))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [c for row in sheet.iter_rows(values_only=True) for c in row]
    assert trained_on().isoformat() in values and 90 in values
    body = client.get(reverse("training:file", args=[director.pk]), {"print": 1}).content.decode()
    assert "training/file_print.css" in body and "carecase/print.js" in body
    assert "@media print" in (settings.BASE_DIR / "static/training/file_print.css").read_text()
    client.force_login(people["other_civil"])
    assert client.get(reverse("training:file_export", args=[director.pk])).status_code == 404


def test_training_file_query_count_does_not_grow(people, town_session, django_assert_num_queries):
    for _ in range(3):
        result(people["supervisor"], town_session, people["director"], 70)
    with django_assert_num_queries(5):  # status, sessions, 2 prefetches, assignments
        selectors.training_file(people["director"])


# --- District coverage -----------------------------------------------------------------------


@pytest.mark.calendar
def test_district_coverage_figures(people, uncertified, client, django_assert_max_num_queries):
    beibei = Region.objects.get(code=BEIBEI)
    report = selectors.coverage(beibei, trained_on().year)
    # supervisor, director, neighbour certified that year; the two new ones not.
    assert (report.trained, report.workers) == (3, 5)
    town = next(t for t in report.towns if t.town.code == JINGGUAN)
    assert (town.trained, town.workers) == (3, 5)
    assert {a.user_id for a in town.untrained} == {u.pk for u in uncertified.values()}
    assert selectors.coverage(beibei, trained_on().year + 1).trained == 0
    client.force_login(people["civil"])
    with django_assert_max_num_queries(12):
        body = client.get(reverse("training:coverage")).content.decode()
    assert f'data-untrained="{uncertified["director"].pk}"' in body
    client.force_login(people["other_civil"])
    assert (
        f'data-untrained="{uncertified["director"].pk}"'
        not in client.get(reverse("training:coverage")).content.decode()
    )
    assert client.get(reverse("training:coverage"), {"district": BEIBEI}).status_code == 404
    client.force_login(people["supervisor"])
    assert client.get(reverse("training:coverage")).status_code == 403


def test_coverage_counts_the_posts_to_fill_and_the_vacant_ones(people, client):
    """R1: a director per village and a supervisor per town. With staff in two villages and
    one town of 北碚区, the headline counts every post of the district and says how many are
    vacant, not "3 / 3 · 100%" over the few who were appointed."""
    beibei = Region.objects.get(code=BEIBEI)
    villages = Region.objects.filter(code__startswith="500109", level="village").count()
    towns = Region.objects.filter(code__startswith="500109", level="town").count()
    assert villages > 100 and towns > 10  # the real tree of 北碚区
    # A director who serves a third village, appointed but not trained this year.
    untrained = make_user("child_director", "500109110244", certified=False)
    report = selectors.coverage(beibei, trained_on().year)
    posts = report.posts
    assert posts.positions == villages + towns
    # 志达 and 兴城 have a trained director, 素心村 an untrained one, 静观镇 a supervisor.
    assert posts.vacant == villages + towns - 4
    assert posts.trained == 3
    assert posts.trained_pct == round(100 * 3 / (villages + towns), 1)
    assert (report.trained, report.workers) == (3, 4)

    jingguan = next(t for t in report.towns if t.town.code == JINGGUAN)
    jingguan_villages = Region.objects.filter(parent__code=JINGGUAN).count()
    assert jingguan.posts.positions == jingguan_villages + 1
    assert jingguan.posts.vacant == jingguan_villages - 3
    tiansheng = next(t for t in report.towns if t.town.code == TIANSHENG)
    assert tiansheng.posts.vacant == tiansheng.posts.positions > 1
    assert (tiansheng.trained, tiansheng.workers, tiansheng.share) == (0, 0, None)

    client.force_login(people["civil"])
    body = client.get(reverse("training:coverage")).content.decode()
    assert f'data-positions="{villages + towns}"' in body
    assert f'data-vacant="{villages + towns - 4}"' in body
    assert f"{villages + towns - 4} 个空缺" in body
    share = f"{round(100 * 3 / (villages + towns), 1):g}%"
    assert f"应设岗位 {villages + towns} 个，其中 3 个（{share}）由本年已培训的人员担任" in body
    assert "已任命的 4 人中，3 人本年已培训" in body
    assert f'data-untrained="{untrained.pk}"' in body
    # Another district's civil affairs sees its own posts, none of 北碚区's people.
    client.force_login(people["other_civil"])
    other = client.get(reverse("training:coverage")).content.decode()
    xiushan = Region.objects.filter(
        code__startswith="500241", level__in=("town", "village")
    ).count()
    assert f'data-positions="{xiushan}"' in other
    assert f'data-untrained="{untrained.pk}"' not in other


def test_coverage_query_count_is_constant(people, django_assert_num_queries):
    beibei = Region.objects.get(code=BEIBEI)
    for n in range(5):
        make_user("child_director", XINGCHENG, certified=n % 2 == 0)
    with django_assert_num_queries(4):
        selectors.coverage(beibei, 2026)


# --- Materials -------------------------------------------------------------------------------


def test_materials_checked_by_content_and_served_only_in_scope(people, course, client, tmp_path):
    with override_settings(MEDIA_ROOT=tmp_path):
        fake = SimpleUploadedFile("slides.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
        with pytest.raises(ValidationError) as exc:
            services.material_add(by=people["civil"], course=course, upload=fake)
        assert "file" in exc.value.message_dict
        with override_settings(ATTACHMENT_MAX_BYTES=10):
            big = SimpleUploadedFile("a.pdf", b"%PDF-1.4" + b"x" * 20)
            with pytest.raises(ValidationError):
                services.material_add(by=people["civil"], course=course, upload=big)
        buffer = io.BytesIO()
        openpyxl.Workbook().save(buffer)
        xlsx = SimpleUploadedFile("名单.xlsx", buffer.getvalue())
        material = services.material_add(by=people["civil"], course=course, upload=xlsx)
        assert material.content_type.endswith("spreadsheetml.sheet")
        pdf = services.material_add(
            by=people["civil"], course=course, upload=SimpleUploadedFile("讲义.pdf", b"%PDF-1.4 x")
        )
        client.force_login(people["director"])
        response = client.get(reverse("training:material", args=[pdf.pk]))
        assert response.status_code == 200
        assert b"".join(response.streaming_content).startswith(b"%PDF")
        client.force_login(people["other_director"])
        assert client.get(reverse("training:material", args=[pdf.pk])).status_code == 404
        assert client.get(reverse("training:course_detail", args=[course.pk])).status_code == 404


def test_course_page_form(people, client):
    client.force_login(people["civil"])
    response = client.post(reverse("training:course_create"), {"title": "课程"})
    assert response.status_code == 400
    response = client.post(
        reverse("training:course_create"),
        {"title": "强制报告培训", "topics": ["mandatory_reporting"], "description": ""},
    )
    assert response.status_code == 302
    client.force_login(people["director"])
    assert client.get(reverse("training:course_create")).status_code == 403


# --- Pages for sessions and results ----------------------------------------------------------


def test_supervisor_plans_and_records_through_pages(people, uncertified, course, client):
    client.force_login(people["supervisor"])
    town = Region.objects.get(code=JINGGUAN)
    assert client.get(reverse("training:session_create")).status_code == 200
    response = client.post(
        reverse("training:session_create"),
        {
            "course": course.pk,
            "organiser_level": "town",
            "region": town.pk,
            "date": "2026-03-10",
            "place": "镇会议室",
            "trainer": "陈老师",
            "invitees": [uncertified["director"].pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    session = town.training_sessions.get()
    url = reverse("training:result", args=[session.pk])
    bad = client.post(url, {"user": uncertified["director"].pk, "score": 120, "assessor": "a",
                            "assessed_on": "2026-03-10"})  # fmt: skip
    assert bad.status_code == 400 and 'data-field-error="score"' in bad.content.decode()
    ok = client.post(url, {"user": uncertified["director"].pk, "score": 75, "passed": "",
                           "assessor": "陈老师", "assessed_on": "2026-03-10"})  # fmt: skip
    assert ok.status_code == 302
    assert TrainingStatus.objects.get(user=uncertified["director"]).certified_on is not None


def test_uncertified_supervisor_cannot_organise(uncertified, client):
    client.force_login(uncertified["supervisor"])
    assert client.get(reverse("training:session_create")).status_code == 403


def test_future_session_cannot_take_attendance_through_the_page(people, course, client):
    session = services.session_save(
        by=people["civil"],
        data=services.SessionInput(
            course=course,
            organiser_level=OrganiserLevel.DISTRICT,
            region=Region.objects.get(code=BEIBEI),
            date=datetime.date(2099, 1, 1),
            place="x",
            trainer="y",
            invitees=[people["supervisor"]],
        ),
    )
    client.force_login(people["civil"])
    response = client.post(
        reverse("training:attendance", args=[session.pk]),
        {"user": people["supervisor"].pk, "attended": "on"},
    )
    assert response.status_code == 400
    assert not Attendance.objects.filter(session=session).exists()


# --- Excel import ----------------------------------------------------------------------------


def _workbook(rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(importing.HEADERS))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("results.xlsx", buffer.getvalue())


def test_import_dry_run_lists_every_bad_row_then_commits_all_or_nothing(
    people, uncertified, town_session, client, tmp_path
):
    new = uncertified["director"]
    with override_settings(MEDIA_ROOT=tmp_path):
        client.force_login(people["supervisor"])
        template = client.get(reverse("training:import_template", args=[town_session.pk]))
        names = [
            r[0]
            for r in openpyxl.load_workbook(io.BytesIO(template.content)).active.iter_rows(
                values_only=True
            )
        ]
        assert new.username in names
        bad = _workbook(
            [
                [new.username, "", "是", 80, "", "陈老师", DAY.isoformat()],
                ["nobody-here", "", "是", 80, "", "陈老师", ""],
                [people["director"].username, "", "是", 150, "", "陈老师", ""],
                [people["other_director"].username, "", "是", 70, "", "陈老师", ""],
            ]
        )
        response = client.post(reverse("training:import", args=[town_session.pk]), {"file": bad})
        assert response.status_code == 302
        record = town_session.imports.get()
        assert {(e["row"], e["column"]) for e in record.errors} == {
            (3, importing.USERNAME),
            (4, importing.SCORE),
            (5, importing.USERNAME),
        }
        assert "nobody-here" in client.get(response["Location"]).content.decode()
        commit = reverse("training:import_commit", args=[town_session.pk, record.pk])
        client.post(commit)
        assert not Result.objects.filter(session=town_session).exists()  # nothing half-saved

        good = _workbook(
            [
                [new.username, "", "是", 80, "", "陈老师", DAY.isoformat()],
                [people["neighbour"].username, "", "否", None, "", "", ""],
            ]
        )
        for _ in range(2):  # re-importing the same sheet changes nothing
            good.seek(0)
            client.post(reverse("training:import", args=[town_session.pk]), {"file": good})
            record = town_session.imports.first()
            assert record.errors == []
            client.post(reverse("training:import_commit", args=[town_session.pk, record.pk]))
        assert Result.objects.filter(session=town_session).count() == 1
        assert Attendance.objects.filter(session=town_session).count() == 2
        assert not Attendance.objects.get(user=people["neighbour"], session=town_session).attended
        assert TrainingStatus.objects.get(user=new).certified_on == DAY
        client.force_login(people["other_supervisor"])
        assert client.get(reverse("training:import", args=[town_session.pk])).status_code == 404


# --- API -------------------------------------------------------------------------------------


def test_api_results_400_and_scoping(
    people, uncertified, town_session, django_assert_max_num_queries
):
    api = api_for(people["supervisor"])
    bad = api.post(
        "/api/v1/training/results/",
        {"session": town_session.pk, "user": people["director"].pk, "score": 101, "assessor": "a"},
        format="json",
    )
    assert bad.status_code == 400 and "score" in bad.json()
    not_invited = api.post(
        "/api/v1/training/results/",
        {"session": town_session.pk, "user": people["other_director"].pk, "score": 80,
         "assessor": "a"},
        format="json",
    )  # fmt: skip
    assert not_invited.status_code == 400 and "user" in not_invited.json()
    ok = api.post(
        "/api/v1/training/results/",
        {"session": town_session.pk, "user": uncertified["director"].pk, "score": 80,
         "assessor": "a"},
        format="json",
    )  # fmt: skip
    assert ok.status_code == 201, ok.json()
    assert ok.json()["passed"] is True
    file = api.get(f"/api/v1/training/files/{uncertified['director'].pk}/").json()
    assert file["certified"] is True and file["work_refusal"] is None
    with django_assert_max_num_queries(8):
        rows = api.get("/api/v1/training/results/").json()["results"]
    # The town session's result, and the supervisor's own induction result; no one else's.
    assert {(r["session"], r["user"]) for r in rows} == {
        (town_session.pk, uncertified["director"].pk),
        (Result.objects.get(user=people["supervisor"]).session_id, people["supervisor"].pk),
    }
    theirs = api_for(people["other_civil"]).get("/api/v1/training/results/").json()["results"]
    assert town_session.pk not in {r["session"] for r in theirs}
    outsider = api_for(people["other_civil"]).post(
        "/api/v1/training/attendance/",
        {"session": town_session.pk, "user": people["director"].pk},
        format="json",
    )
    assert outsider.status_code == 404


def test_api_sessions_and_courses(people, course):
    api = api_for(people["civil"])
    created = api.post(
        "/api/v1/training/sessions/",
        {"course": course.pk, "organiser_level": "district", "region": XIUSHAN,
         "date": "2026-03-01", "place": "x", "trainer": "y", "invitees": []},
        format="json",
    )  # fmt: skip
    assert created.status_code == 400 and "region" in created.json()
    created = api.post(
        "/api/v1/training/sessions/",
        {"course": course.pk, "organiser_level": "district", "region": BEIBEI,
         "date": "2026-03-01", "place": "x", "trainer": "y", "invitees": [people["supervisor"].pk]},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201
    assert api.get("/api/v1/training/courses/").json()["count"] >= 1
    assert (
        api_for(people["other_civil"]).get(f"/api/v1/training/courses/{course.pk}/").status_code
        == 404
    )
    bad = api.post("/api/v1/training/courses/", {"title": "t", "topics": ["nope"]}, format="json")
    assert bad.status_code == 400 and "topics" in bad.json()
    # A supervisor invited to a district session sees it.
    sup = api_for(people["supervisor"]).get("/api/v1/training/sessions/").json()
    assert created.json()["id"] in {s["id"] for s in sup["results"]}
    other = api_for(make_user("supervisor", RONGXI)).get("/api/v1/training/sessions/").json()
    assert created.json()["id"] not in {s["id"] for s in other["results"]}


def test_demo_training_certifies_the_demo_workers(db, monkeypatch):
    from django.core.management import call_command

    from demo.management.commands import load_demo
    from org.models import User

    monkeypatch.setattr(load_demo, "DEMO_CHILDREN", 6)

    call_command("load_demo", stdout=io.StringIO())
    from core import permissions

    for username in ("bb_zhuren", "bb_zhuren2", "bb_dudao", "xs_dudao"):
        assert permissions.work_refusal(User.objects.get(username=username)) is None, username


def test_certify_helper_matches_the_service(people):
    day = TODAY - datetime.timedelta(days=3)  # after the fixture's pass
    status = certify(people["neighbour"], BEIBEI, on=day)
    assert status.last_passed_on == day
