"""Pages of lists and findings: upload and dry run, import, review, findings by source and
outcome, closing with an outcome, scoping, and "my work" with findings."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from children.models import AccessLog
from matching import services
from matching.models import Finding, ListRow, Outcome, Review, RuleCode
from matching.sources import SourceKind
from tests.matching.conftest import csv_file

pytestmark = pytest.mark.django_db

HEAD = ["姓名", "身份证号码", "出生日期", "村（社区）", "类型"]


def test_upload_dry_run_and_import_through_the_pages(people, archive, login):
    _kids, ids = archive
    client = login(people["civil"])
    assert client.get(reverse("matching:lists")).status_code == 200
    upload = csv_file([HEAD, ["王小红", ids["pupil"], "", "志达社区", "辍学"]])
    response = client.post(reverse("matching:lists"), {"source": "edu_dropout", "file": upload})
    assert response.status_code == 302
    detail = response["Location"]
    body = client.get(detail).content.decode()
    assert 'data-testid="commit"' in body and 'data-count="matched">1<' in body
    assert not Finding.objects.exists()  # nothing kept before the confirmation
    client.post(detail)
    assert Finding.objects.get().rule == RuleCode.DROPOUT
    assert AccessLog.objects.filter(user=people["civil"], action="import").count() == 2


def test_bad_rows_are_listed_on_the_page(people, login):
    client = login(people["civil"])
    upload = csv_file([HEAD, ["某某", "", "not a date", "志达社区", "辍学"]], encoding="gb18030")
    response = client.post(reverse("matching:lists"), {"source": "edu_dropout", "file": upload})
    body = client.get(response["Location"]).content.decode()
    assert 'data-row="2"' in body and 'data-testid="commit"' not in body


def test_lists_and_review_are_for_district_staff_only(people, imported, login):
    for name in ("director", "supervisor", "other_director", "sysadmin"):
        client = login(people[name])
        assert client.get(reverse("matching:lists")).status_code == 404
        assert client.get(reverse("matching:review")).status_code == 404
    other = login(people["other_civil"])
    assert other.get(reverse("matching:list_detail", args=[imported.pk])).status_code == 404
    assert "陈小尨" not in other.get(reverse("matching:review")).content.decode()


def test_review_page_confirms_a_candidate(people, archive, imported, login):
    kids, _ids = archive
    row = ListRow.objects.get(list_import=imported, review=Review.PENDING)
    client = login(people["civil"])
    assert "陈小尨" in client.get(reverse("matching:review")).content.decode()
    client.post(reverse("matching:review"), {"row": row.pk, "decision": "confirm"})
    row.refresh_from_db()
    assert row.review == Review.CONFIRMED and row.child == kids["no_id"]
    assert Finding.objects.filter(row=row, rule=RuleCode.DROPOUT).exists()


def test_outcome_is_required_to_close(people, archive, imported, login):
    kids, _ids = archive
    finding = Finding.objects.get(rule=RuleCode.DROPOUT)
    client = login(people["director"])
    url = reverse("matching:finding", args=[finding.pk])
    assert client.post(url, {}).status_code == 400
    response = client.post(url, {"outcome": Outcome.NOT_APPLICABLE})
    assert response.status_code == 400 and "done_note" in response.context["form"].errors
    response = client.post(url, {"outcome": Outcome.CONFIRMED, "outcome_link": "http://x"})
    assert "outcome_link" in response.context["form"].errors
    finding.refresh_from_db()
    assert not finding.done
    link = reverse("children:detail", args=[kids["pupil"].pk])
    assert client.post(url, {"outcome": Outcome.CONFIRMED, "outcome_link": link}).status_code == 302
    finding.refresh_from_db()
    assert finding.done and finding.outcome == Outcome.CONFIRMED and finding.outcome_link == link
    assert finding.done_by == people["director"]


def test_findings_scoping(people, imported, login):
    mine = Finding.objects.get(rule=RuleCode.DROPOUT)  # 志达社区
    neighbours = Finding.objects.get(rule=RuleCode.NOT_IN_ARCHIVE)  # 兴城社区
    url = lambda f: reverse("matching:finding", args=[f.pk])  # noqa: E731
    assert login(people["director"]).get(url(neighbours)).status_code == 404
    assert login(people["neighbour"]).get(url(neighbours)).status_code == 200
    for name in ("other_director", "other_supervisor", "other_civil", "sysadmin", "auditadmin"):
        assert login(people[name]).get(url(mine)).status_code == 404
    body = login(people["supervisor"]).get(reverse("matching:findings")).content.decode()
    assert f'data-finding="{mine.pk}"' in body and f'data-finding="{neighbours.pk}"' in body
    body = login(people["other_supervisor"]).get(reverse("matching:findings")).content.decode()
    assert "data-finding=" not in body
    assert login(people["director"]).get(reverse("matching:findings")).status_code == 404


def test_findings_by_source_rule_and_outcome_with_time_to_close(people, imported, login):
    client = login(people["civil"])
    response = client.get(reverse("matching:findings"), {"by": "rule"})
    keys = {row["key"]: row for row in response.context["summary"]}
    assert keys[RuleCode.DROPOUT]["open"] == 1 and keys[RuleCode.NOT_IN_ARCHIVE]["total"] == 1
    finding = Finding.objects.get(rule=RuleCode.NOT_IN_ARCHIVE)
    services.finding_close(
        by=people["neighbour"], finding=finding, outcome=Outcome.NOT_APPLICABLE, note="已转学外地"
    )
    response = client.get(reverse("matching:findings"), {"by": "outcome"})
    keys = {row["key"]: row for row in response.context["summary"]}
    assert keys[Outcome.NOT_APPLICABLE]["days_to_close"] == 0
    response = client.get(reverse("matching:findings"), {"outcome": "open"})
    assert [f.rule for f in response.context["page"]] == [RuleCode.DROPOUT]


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_my_work_shows_findings_first_and_query_count_does_not_grow(
    people, archive, imported, beibei, login
):
    client = login(people["director"])
    body = client.get(reverse("visits:my_work")).content.decode()
    mine = Finding.objects.get(rule=RuleCode.DROPOUT)
    assert f'data-finding="{mine.pk}"' in body
    assert body.index('data-testid="findings"') < body.index('data-testid="work-list"')
    before = _queries(client, reverse("visits:my_work"))
    _kids, ids = archive
    for n in range(4):
        upload = csv_file(
            [
                HEAD,
                ["王小红", ids["pupil"], "", "志达社区", f"辍学{n}"],
                [f"新人{n}", "", "2015-01-02", "志达社区", "辍学"],
            ]
        )
        record = services.list_dry_run(
            by=people["civil"], district=beibei, source=SourceKind.EDUCATION_DROPOUT, upload=upload
        )
        services.list_import(by=people["civil"], pk=record.pk)
    assert Finding.objects.filter(region_code="500109110004").count() == 9
    assert _queries(client, reverse("visits:my_work")) == before
    assert _queries(client, reverse("matching:my_findings")) <= before


def test_open_for_counts_a_childs_open_findings(archive, imported):
    kids, _ids = archive
    assert Finding.objects.open_for([kids["pupil"].pk]).count() == 1
    assert Finding.objects.open_for([kids["disabled"].pk]).count() == 0


def test_unusual_headers_are_mapped_on_the_check_page_and_kept_for_the_district(
    people, archive, login
):
    _kids, ids = archive
    client = login(people["civil"])
    head = ["学生名", "证件", "出生", "所在村", "备注"]
    upload = csv_file([head, ["王小红", ids["pupil"], "", "志达社区", "辍学"]])
    response = client.post(reverse("matching:lists"), {"source": "edu_dropout", "file": upload})
    detail = response["Location"]
    body = client.get(detail).content.decode()
    assert 'data-testid="file-error"' in body and 'data-testid="commit"' not in body
    assert 'data-testid="column-mapping"' in body and '<option value="学生名">' in body
    record = services.ListImport.objects.get()
    columns = reverse("matching:list_columns", args=[record.pk])

    # Another district's staff, a director, an unknown header: nothing is changed.
    assert login(people["other_civil"]).post(columns, {"name": "学生名"}).status_code == 404
    assert login(people["director"]).post(columns, {"name": "学生名"}).status_code == 404
    client = login(people["civil"])
    assert client.post(columns, {"name": "不存在的列"}).status_code == 400
    record.refresh_from_db()
    assert record.errors

    response = client.post(
        columns,
        {"name": "学生名", "id_number": "证件", "village": "所在村", "status": "备注"},
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.errors == [] and record.matched_count == 1
    assert record.headers["name"] == "学生名"
    body = client.get(detail).content.decode()
    assert 'data-testid="commit"' in body
    client.post(detail)
    assert Finding.objects.get().rule == RuleCode.DROPOUT

    # The next file of the kind, with the same headers, needs no mapping.
    again = csv_file([head, ["王小红", ids["pupil"], "", "志达社区", "长期旷课"]])
    response = client.post(reverse("matching:lists"), {"source": "edu_dropout", "file": again})
    second = services.ListImport.objects.exclude(pk=record.pk).get()
    assert second.errors == [] and second.matched_count == 1
