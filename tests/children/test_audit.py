import pytest
from django.db import DatabaseError, transaction
from django.urls import reverse

from children.models import AccessLog
from tests.factories import CHENGUANG, make_child


def test_access_log_rows_cannot_be_changed_or_deleted(people):
    child = make_child(people["director"])
    row = AccessLog.objects.create(user=people["director"], action="view", child=child)
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        row.delete()
    with pytest.raises(PermissionError):
        AccessLog.objects.filter(pk=row.pk).update(action="export")
    with pytest.raises(PermissionError):
        AccessLog.objects.all().delete()


def test_the_database_refuses_updates_too(people):
    child = make_child(people["director"])
    row = AccessLog.objects.create(user=people["director"], action="view", child=child)
    from django.db import connection

    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE children_accesslog SET action = 'export' WHERE id = %s", [row.pk])


def test_audit_admin_reads_the_log_of_their_region_only(people, client):
    from tests.factories import Role, make_user

    ours = make_child(people["director"])
    theirs = make_child(people["other_director"], CHENGUANG, name="秀山儿童")
    AccessLog.objects.create(user=people["director"], action="view", child=ours)
    AccessLog.objects.create(user=people["other_director"], action="view", child=theirs)
    client.force_login(people["auditadmin"])
    response = client.get(reverse("access_log"))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 1
    content = response.content.decode()
    assert ours.name not in content  # the auditor sees who looked, not the archive
    other_auditor = make_user(Role.AUDIT_ADMIN, "500241000000", username="audit2")
    client.force_login(other_auditor)
    assert client.get(reverse("access_log")).context["page"].paginator.count == 1


@pytest.mark.parametrize("who", ["civil", "director", "sysadmin", "secadmin"])
def test_only_the_audit_admin_reads_the_log(people, client, who):
    client.force_login(people[who])
    assert client.get(reverse("access_log")).status_code == 403


def test_audit_admin_sees_no_archive(people, client):
    child = make_child(people["director"])
    client.force_login(people["auditadmin"])
    assert client.get(reverse("children:detail", args=[child.pk])).status_code == 404
