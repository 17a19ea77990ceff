"""Every training page renders for the people who use it."""

from django.urls import reverse

from training.models import Session, TrainingPolicy


def test_pages_render(people, client):
    session = Session.objects.get(region__code="500109000000")
    client.force_login(people["civil"])
    for url in (
        reverse("training:index"),
        reverse("training:course_list"),
        reverse("training:course_create"),
        reverse("training:course_detail", args=[session.course_id]),
        reverse("training:session_create"),
        reverse("training:session_detail", args=[session.pk]),
        reverse("training:attendance", args=[session.pk]),
        reverse("training:result", args=[session.pk]),
        reverse("training:import", args=[session.pk]),
        reverse("training:import_template", args=[session.pk]),
        reverse("training:policy"),
        reverse("training:coverage"),
        reverse("training:due"),
    ):
        assert client.get(url).status_code == 200, url
    assert client.post(reverse("training:policy"), {"lapsed_blocks_work": "on"}).status_code == 302
    # A district rule (core.district_rules): who changed it is kept.
    policy = TrainingPolicy.objects.get()
    assert policy.lapsed_blocks_work and policy.updated_by == people["civil"]
    client.force_login(people["director"])
    assert client.get(reverse("training:my_file")).status_code == 302
    response = client.get(reverse("training:session_detail", args=[session.pk]))
    assert response.status_code == 200
    # Invited only: the director sees their own line, not the supervisor's score.
    assert f'data-person="{people["supervisor"].pk}"' not in response.content.decode()
    assert client.get(reverse("training:result", args=[session.pk])).status_code == 403
