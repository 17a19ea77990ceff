"""The transfer pages on a phone and a laptop: starting from the child's page, the list of
both sides, the decision, the registration's offer, the finding's offer, the timeline."""

import uuid

import pytest
from django.urls import reverse

from children.closing import child_close
from core import clock
from tests.factories import CHENGUANG, child_input, make_child
from transfers import services
from transfers.models import Transfer, TransferStatus

pytestmark = pytest.mark.django_db


def start(client, child, village, reason="随父母搬家"):
    return client.post(
        reverse("transfers:start", args=[child.pk]),
        {"to_village": village.pk, "reason": reason, "client_uuid": uuid.uuid4(), "q": "兴城"},
    )


def test_start_from_the_child_page_find_the_village_and_request(people, mover, xingcheng, login):
    client = login(people["director"])
    page = client.get(reverse("children:detail", args=[mover.pk])).content.decode()
    assert 'data-action="start-transfer"' in page
    found = client.get(reverse("transfers:start", args=[mover.pk]), {"q": "兴城"})
    assert f'value="{xingcheng.pk}"' in found.content.decode()
    response = start(client, mover, xingcheng)
    transfer = Transfer.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/transfers/{transfer.pk}/"
    page = client.get(reverse("children:detail", args=[mover.pk])).content.decode()
    assert 'data-testid="open-transfer"' in page and 'data-action="start-transfer"' not in page
    assert "transfer" in page  # the timeline's entry
    assert reverse("transfers:detail", args=[transfer.pk]) in page


def test_bad_input_on_the_field(people, mover, login):
    client = login(people["director"])
    response = client.post(
        reverse("transfers:start", args=[mover.pk]),
        {"to_village": "", "reason": "", "client_uuid": uuid.uuid4()},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert 'data-field-error="to_village"' in body and 'data-field-error="reason"' in body
    assert not Transfer.objects.exists()


def test_outsiders_get_404(people, mover, xingcheng, third, login):
    transfer = services.transfer_request(
        by=people["director"], child=mover, to_village=xingcheng, reason="搬家"
    )
    for user in (third, people["other_director"], people["other_civil"]):
        client = login(user)
        assert client.get(reverse("transfers:detail", args=[transfer.pk])).status_code == 404
        assert client.post(reverse("transfers:accept", args=[transfer.pk])).status_code == 404
        assert client.get(reverse("transfers:start", args=[mover.pk])).status_code == 404
        assert "林小雨" not in client.get(reverse("transfers:list")).content.decode()
    assert login(people["sysadmin"]).get(reverse("transfers:list")).status_code in (403, 404)


def test_the_receiving_director_sees_the_transfer_not_the_archive_then_accepts(
    people, mover, xingcheng, login
):
    transfer = services.transfer_request(
        by=people["director"], child=mover, to_village=xingcheng, reason="搬家"
    )
    client = login(people["neighbour"])
    listing = client.get(reverse("transfers:list")).content.decode()
    assert "林小雨" in listing and 'data-testid="to-decide"' in listing
    page = client.get(reverse("transfers:detail", args=[transfer.pk])).content.decode()
    assert "林小雨" in page and 'data-testid="accept"' in page
    assert reverse("children:detail", args=[mover.pk]) not in page
    assert client.get(reverse("children:detail", args=[mover.pk])).status_code == 404
    response = client.post(reverse("transfers:accept", args=[transfer.pk]))
    assert response.status_code == 302
    assert client.post(reverse("transfers:accept", args=[transfer.pk])).status_code == 302
    assert Transfer.objects.get().status == TransferStatus.ACCEPTED
    assert client.get(reverse("children:detail", args=[mover.pk])).status_code == 200
    assert "林小雨" in client.get(reverse("visits:my_work")).content.decode()
    sender = login(people["director"])
    assert sender.get(reverse("children:detail", args=[mover.pk])).status_code == 404
    visits = sender.get(reverse("visits:list")).content.decode()
    assert "林小雨" in visits


def test_decline_needs_a_reason_on_the_page(people, mover, xingcheng, login):
    transfer = services.transfer_request(
        by=people["director"], child=mover, to_village=xingcheng, reason="搬家"
    )
    client = login(people["neighbour"])
    url = reverse("transfers:decline", args=[transfer.pk])
    response = client.post(url, {"decline_reason": ""})
    assert response.status_code == 400
    assert 'data-field-error="decline_reason"' in response.content.decode()
    assert client.post(url, {"decline_reason": "本村查无此户"}).status_code == 302
    assert Transfer.objects.get().status == TransferStatus.DECLINED


def test_the_list_takes_a_fixed_number_of_queries(
    people, xingcheng, login, django_assert_max_num_queries
):
    director = people["director"]
    client = login(director)
    client.get(reverse("transfers:list"))  # the session and the scope, warmed

    def count() -> int:
        with django_assert_max_num_queries(40) as captured:
            assert client.get(reverse("transfers:list")).status_code == 200
        return len(captured)

    child = make_child(director, name="甲")
    services.transfer_request(by=director, child=child, to_village=xingcheng, reason="搬家")
    few = count()
    for name in ("乙", "丙", "丁"):
        child = make_child(director, name=name)
        services.transfer_request(by=director, child=child, to_village=xingcheng, reason="搬家")
    assert count() == few


def test_registration_of_a_moved_away_id_offers_the_claim(people, mover, login):
    child_close(
        by=people["director"],
        child=mover,
        reason="moved_away",
        closed_on=clock.today(),
        new_address="不详",
    )
    client = login(people["other_director"])
    data = child_input(CHENGUANG, id_number=mover.id_number)
    form = {
        **{k: ("" if v is None else v) for k, v in data.fields.items() if not isinstance(v, bool)},
        "village": data.village.pk,
        "id_number": mover.id_number,
        "categories": data.categories,
        "father_status": "working_away",
        "mother_status": "working_away",
    }
    body = client.post(reverse("children:create"), form).content.decode()
    assert 'data-testid="offer-claim"' in body
    prefilled = client.post(
        reverse("transfers:claim"),
        {"prefill": "1", "id_number": mover.id_number, "village": data.village.pk},
    )
    assert prefilled.status_code == 200 and mover.id_number in prefilled.content.decode()
    response = client.post(
        reverse("transfers:claim"),
        {
            "id_number": mover.id_number,
            "to_village": data.village.pk,
            "reason": "现住辰光村",
            "client_uuid": uuid.uuid4(),
        },
    )
    assert response.status_code == 302
    transfer = Transfer.objects.get()
    assert transfer.requested_by == people["other_director"]
    listing = login(people["civil"]).get(reverse("transfers:list")).content.decode()
    assert f'data-transfer="{transfer.pk}"' in listing


def test_moved_away_children_are_listed_for_district_staff(people, mover, login):
    child_close(
        by=people["director"],
        child=mover,
        reason="moved_away",
        closed_on=clock.today(),
        new_address="外省",
    )
    body = login(people["civil"]).get(reverse("transfers:list")).content.decode()
    assert 'data-testid="moved-away"' in body and "林小雨" in body
    assert reverse("transfers:start", args=[mover.pk]) in body
    assert (
        "林小雨" not in login(people["other_civil"]).get(reverse("transfers:list")).content.decode()
    )


def test_a_moved_out_finding_offers_the_transfer(people, mover, xingcheng, login):
    from matching import services as matching
    from matching.models import Finding
    from matching.sources import SourceKind
    from tests.factories import BEIBEI, region
    from tests.matching.conftest import csv_file

    record = matching.list_dry_run(
        by=people["civil"],
        district=region(BEIBEI),
        source=SourceKind.POLICE_MOVES,
        upload=csv_file([["姓名", "身份证号码", "迁移类型"], ["林小雨", mover.id_number, "迁出"]]),
    )
    matching.list_import(by=people["civil"], pk=record.pk)
    finding = Finding.objects.get(child=mover)
    client = login(people["director"])
    page = client.get(reverse("matching:finding", args=[finding.pk])).content.decode()
    offer = f"{reverse('transfers:start', args=[mover.pk])}?finding={finding.pk}"
    assert 'data-testid="offer-transfer"' in page and offer in page
    started = client.get(offer).content.decode()
    assert f'name="finding" value="{finding.pk}"' in started
    client.post(
        reverse("transfers:start", args=[mover.pk]),
        {
            "to_village": xingcheng.pk,
            "reason": "已迁往兴城",
            "client_uuid": uuid.uuid4(),
            "finding": finding.pk,
        },
    )
    assert Transfer.objects.get().finding == finding
