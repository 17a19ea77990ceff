"""Likely duplicates in the roster import: listed by the dry run, the decision recorded by
the import; a child of another district never named."""

import pytest
from django.urls import reverse

from children.models import Child, NotDuplicate
from tests.children.test_roster import good_row, preview, workbook
from tests.duplicates.conftest import no_id_child
from tests.factories import CHENGUANG

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_the_dry_run_lists_likely_duplicates_and_the_import_records_the_decision(client, people):
    existing = no_id_child(people["director"], name="张晓明")
    elsewhere = no_id_child(people["other_director"], CHENGUANG, name="张晓明")
    client.force_login(people["civil"])
    # A new row without an ID number, and one with a valid ID: neither is the archive itself.
    record = preview(client, workbook([good_row(id_number="", name="张小明"), good_row()]))
    assert record.errors == []
    noted = [w for w in record.warnings if f"#{existing.pk}" in w["message"]]
    assert {w["row"] for w in noted} == {2, 3}
    assert not any(f"#{elsewhere.pk}" in w["message"] for w in record.warnings)
    assert Child.objects.count() == 2 and not NotDuplicate.objects.exists()

    response = client.post(reverse("children:import_commit", args=[record.pk]))
    assert response.status_code == 302
    assert Child.objects.count() == 4
    decided = {(d.child_id, d.other_id) for d in NotDuplicate.objects.all()}
    new = Child.objects.exclude(pk__in=[existing.pk, elsewhere.pk]).values_list("pk", flat=True)
    assert decided == {(existing.pk, pk) for pk in new}
    assert {d.context for d in NotDuplicate.objects.all()} == {"roster"}
