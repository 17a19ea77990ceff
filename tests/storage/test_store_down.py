"""The file storage down (issue 19): /ready/'s storage check against moto (up), a store that
refuses and one that hangs (down, within its bound); and every kind of download while the
store is down: the site's 503 page in Chinese (a JSON 503 on the API), nothing claimed in the
access log, an outsider still answered 404."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from activities import services as activity_services
from carecase import readiness
from children.models import AccessAction, AccessLog, Attachment
from core import storage
from exports.models import ExportStatus
from tests.activities.conftest import png, values
from tests.carecase.test_ready import beats
from tests.children.test_documents import MINIMAL_PDF, png_bytes
from tests.factories import make_child
from tests.storage.conftest import free_port, s3_storage
from tests.storage.test_object_storage import attach, town_statistics_built
from training import services as training_services
from training.models import Material, Topic

pytestmark = pytest.mark.django_db

# What a person reads (the zh_Hans catalogue's words).
DOWN_PAGE = "文件存储暂时不可用，请稍后再试"


@contextmanager
def store_goes_down(settings: Any) -> Iterator[None]:
    """From here on the default storage is a store that refuses every connection."""
    down = s3_storage(f"http://127.0.0.1:{free_port()}", "carecase-down")
    with override_settings(STORAGES={**settings.STORAGES, "default": down}):
        yield


def assert_down_page(response) -> None:
    assert response.status_code == 503
    assert "storage_unavailable.html" in [t.name for t in response.templates]
    page = response.content.decode()
    assert DOWN_PAGE in page
    assert 'href="/"' in page or "navbar" in page  # the site's layout, not a bare message
    assert response["Retry-After"] == str(storage.RETRY_AFTER_SECONDS)


# --- /ready/ --------------------------------------------------------------------------------


def ready(client) -> tuple[int, dict[str, str]]:
    response = client.get("/ready/")
    return response.status_code, response.json()["checks"]


def test_ready_says_ok_while_the_bucket_answers(client, bucket):
    beats()
    status, checks = ready(client)
    assert (status, checks["storage"]) == (200, "ok")


def test_a_store_that_refuses_is_down_and_advisory(client, dead_storage):
    beats()
    status, checks = ready(client)
    assert checks["storage"] == "down"
    # Advisory: the rest of the site works without it, so the process stays in service.
    assert status == 200
    assert "127.0.0.1" not in str(checks)


def test_a_store_that_hangs_is_down_within_the_bound(client, settings, hanging_storage):
    settings.READY_STORAGE_SECONDS = 1  # the store's own read timeout is 20 s
    beats()
    status, checks = ready(client)
    assert (status, checks["storage"]) == (200, "down")
    probes = [t for t in threading.enumerate() if t.name == "storage-probe"]
    assert len(probes) == 1, "the first probe still hangs"
    # While it hangs, another /ready/ starts no second probe and answers down at once.
    assert ready(client)[1]["storage"] == "down"
    assert len([t for t in threading.enumerate() if t.name == "storage-probe"]) == 1


def test_the_filesystem_storage_answers(client):
    assert readiness.storage() == "ok"
    assert "storage" in readiness.ADVISORY


# --- Downloads while the store is down ------------------------------------------------------


def test_an_attachment_while_the_store_is_down(people, login, bucket, settings):
    child = make_child(people["director"])
    attach(login(people["director"]), child, png_bytes())
    item = Attachment.objects.get(child=child)
    url = reverse("children:attachment", args=[child.pk, item.pk])
    with store_goes_down(settings):
        assert_down_page(login(people["director"]).get(url))
        # Not logged: the download did not happen.
        assert not AccessLog.objects.filter(action=AccessAction.ATTACHMENT).exists()
        # Out of scope is still "does not exist", whatever the store.
        assert login(people["neighbour"]).get(url).status_code == 404
    # Back up: the same link serves the file and logs it.
    response = login(people["director"]).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png_bytes()
    assert AccessLog.objects.filter(action=AccessAction.ATTACHMENT).count() == 1


def test_an_activity_photo_while_the_store_is_down(people, login, bucket, settings):
    child = make_child(people["director"])
    activity, _created = activity_services.activity_record(
        by=people["director"], values=values(), children=[child], photos=[png()]
    )
    url = reverse("activities:photo", args=[activity.photos.get().pk])
    with store_goes_down(settings):
        assert_down_page(login(people["director"]).get(url))
        assert login(people["other_director"]).get(url).status_code == 404
    assert login(people["director"]).get(url).status_code == 200


def test_a_training_material_while_the_store_is_down(people, login, bucket, settings):
    course = training_services.course_save(
        by=people["civil"], title="儿童主任培训", topics=[Topic.HOME_VISITS]
    )
    login(people["civil"]).post(
        reverse("training:course_detail", args=[course.pk]),
        {"file": SimpleUploadedFile("讲义.pdf", MINIMAL_PDF)},
    )
    url = reverse("training:material", args=[Material.objects.get(course=course).pk])
    with store_goes_down(settings):
        assert_down_page(login(people["director"]).get(url))
        assert login(people["other_director"]).get(url).status_code == 404
    assert login(people["director"]).get(url).status_code == 200


def test_an_export_file_while_the_store_is_down_page_and_api(
    people, login, bucket, settings, django_capture_on_commit_callbacks
):
    job = town_statistics_built(people, django_capture_on_commit_callbacks)
    assert job.status == ExportStatus.DONE
    page_url = reverse("exports:download", args=[job.pk])
    api_url = f"/api/v1/exports/{job.pk}/download/"
    client = login(people["supervisor"])

    def downloads_logged() -> int:
        scopes = AccessLog.objects.filter(user=people["supervisor"]).values_list("scope", flat=True)
        return sum(1 for scope in scopes if scope.split()[1] == "download")

    with store_goes_down(settings):
        assert_down_page(client.get(page_url))
        api = client.get(api_url)
        assert api.status_code == 503
        assert api["Content-Type"].startswith("application/json")
        assert api.json() == {"detail": storage.download_unavailable_message()}
        assert DOWN_PAGE in api.json()["detail"]
        assert downloads_logged() == 0
        other = login(people["other_supervisor"])
        assert other.get(page_url).status_code == 404
        assert other.get(api_url).status_code == 404
    client = login(people["supervisor"])
    assert client.get(page_url).status_code == 200
    assert client.get(api_url).status_code == 200
    assert downloads_logged() == 2


def test_a_missing_file_is_still_not_found_on_the_filesystem(people, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    child = make_child(people["director"])
    attach(login(people["director"]), child, png_bytes())
    item = Attachment.objects.get(child=child)
    (tmp_path / "media" / item.file.name).unlink()
    url = reverse("children:attachment", args=[child.pk, item.pk])
    assert login(people["director"]).get(url).status_code == 404
    assert not AccessLog.objects.filter(action=AccessAction.ATTACHMENT).exists()


def test_an_unreadable_file_on_the_filesystem_is_the_storage_down(
    people, login, settings, tmp_path
):
    # A directory where the file should be: the filesystem fails to read it (EISDIR), which
    # is not the file's absence.
    settings.MEDIA_ROOT = tmp_path / "media"
    child = make_child(people["director"])
    attach(login(people["director"]), child, png_bytes())
    item = Attachment.objects.get(child=child)
    path = tmp_path / "media" / item.file.name
    path.unlink()
    path.mkdir()
    url = reverse("children:attachment", args=[child.pk, item.pk])
    assert_down_page(login(people["director"]).get(url))
    assert not AccessLog.objects.filter(action=AccessAction.ATTACHMENT).exists()
