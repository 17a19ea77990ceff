"""Files in an S3-compatible object store (issue 19): the real flows against moto's server on
loopback, the files only in the bucket (nothing under MEDIA_ROOT), served only through the
scoped views; and the store down: a clear message, nothing half-saved."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from activities import services as activity_services
from activities.models import Activity, ActivityPhoto
from children.models import AccessAction, AccessLog, Attachment, Child
from children.models_roster import RosterImport, RosterImportStatus
from core import clock as app_clock
from core.storage import unavailable_message
from exports import jobs
from exports import services as export_services
from exports.models import ExportJob, ExportStatus
from matching.models import ListImport
from tests.activities.conftest import png, values
from tests.children.test_documents import MINIMAL_PDF, png_bytes
from tests.children.test_roster import BIRTH, good_row, workbook
from tests.factories import JINGGUAN, ZHIDA, make_child, make_id
from tests.matching.conftest import csv_file
from training import services as training_services
from training.models import Material, ResultImport, Topic

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
TODAY = app_clock.today()
# What a person reads when the store is down (the zh_Hans catalogue's words).
UPLOAD_REFUSED = "文件存储已满或不可用"
EXPORT_REFUSED = "导出文件无法保存"


def attach(client, child, content: bytes, name: str = "照片.png"):
    return client.post(
        reverse("children:attachment_new", args=[child.pk]),
        {"kind": "photo", "description": "", "file": SimpleUploadedFile(name, content)},
    )


def streamed(response) -> bytes:
    return b"".join(response.streaming_content)


def form_errors(response, field: str = "file") -> list[str]:
    return list(response.context["form"].errors.get(field, []))


# --- Settings -----------------------------------------------------------------------------


def _storages_under(env: dict[str, str]) -> dict:
    """settings.STORAGES["default"] as a fresh process reads it from `env`."""
    script = "\n".join(
        [
            "import json, django",
            "django.setup()",
            "from django.conf import settings",
            "d = settings.STORAGES['default']",
            "o = dict(d.get('OPTIONS', {}))",
            "c = o.pop('client_config', None)",
            "if c:",
            "    o['client'] = {'retries': c.retries, 's3': c.s3}",
            "print(json.dumps({'backend': d['BACKEND'], 'options': o}))",
        ]
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith("STORAGE_")}
    result = subprocess.run(  # noqa: S603 - our own interpreter on our own settings
        [sys.executable, "-c", script],
        env={**base, "DJANGO_SETTINGS_MODULE": "carecase.test_settings", **env},
        cwd=ROOT,
        capture_output=True,
        check=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_a_bucket_files_stay_on_the_local_filesystem():
    assert _storages_under({}) == {
        "backend": "django.core.files.storage.FileSystemStorage",
        "options": {},
    }


def test_a_bucket_makes_the_storage_a_private_s3_store():
    read = _storages_under(
        {
            "STORAGE_BUCKET": "carecase-files",
            "STORAGE_ENDPOINT_URL": "http://127.0.0.1:9000",
            "STORAGE_ACCESS_KEY": "key",
            "STORAGE_SECRET_KEY": "secret",
            "STORAGE_REGION": "cn-north-1",
            "STORAGE_ENCRYPTION": "AES256",
        }
    )
    assert read["backend"] == "storages.backends.s3.S3Storage"
    options = read["options"]
    assert options["bucket_name"] == "carecase-files"
    assert options["endpoint_url"] == "http://127.0.0.1:9000"
    assert (options["access_key"], options["secret_key"]) == ("key", "secret")
    assert options["region_name"] == "cn-north-1"
    # Private: no public ACL, signed URLs of five minutes at most, never an overwrite.
    assert options["default_acl"] == "private"
    assert options["querystring_auth"] is True
    assert options["querystring_expire"] == 300
    assert options["file_overwrite"] is False
    assert options["object_parameters"] == {"ServerSideEncryption": "AES256"}
    assert options["client"]["retries"] == {"max_attempts": 3, "mode": "standard"}
    assert options["client"]["s3"] == {"addressing_style": "path"}


def test_the_override_reaches_every_file_field(bucket):
    # FileField.storage is default_storage, a lazy object over storages["default"]: the
    # override must reach it, or the tests below would write to the filesystem.
    assert default_storage.bucket_name == bucket.name
    for model in (
        Attachment,
        ActivityPhoto,
        Material,
        ResultImport,
        RosterImport,
        ExportJob,
        ListImport,
    ):
        storage = model._meta.get_field("file").storage
        assert storage.bucket_name == bucket.name  # type: ignore[attr-defined]


# --- The flows, against the bucket ------------------------------------------------------


def test_an_attachment_lives_in_the_bucket_and_is_served_only_in_scope(people, login, bucket):
    child = make_child(people["director"])
    content = png_bytes()
    response = attach(login(people["director"]), child, content)
    assert response.status_code == 302
    item = Attachment.objects.get(child=child)
    assert bucket.keys() == [item.file.name]
    assert item.file.name.startswith(f"children/{child.pk}/")
    assert bucket.read(item.file.name) == content
    assert bucket.local_files() == []

    url = reverse("children:attachment", args=[child.pk, item.pk])
    download = login(people["supervisor"]).get(url)
    assert download.status_code == 200
    assert streamed(download) == content
    assert download["Cache-Control"] == "private, no-store"
    log = AccessLog.objects.get(action=AccessAction.ATTACHMENT)
    assert (log.user, log.child) == (people["supervisor"], child)

    # A director of the neighbouring village: not found, and nothing logged for them.
    assert login(people["neighbour"]).get(url).status_code == 404
    assert not AccessLog.objects.filter(user=people["neighbour"]).exists()
    assert bucket.local_files() == []


def test_an_object_gone_from_the_bucket_is_not_found(people, login, bucket):
    child = make_child(people["director"])
    attach(login(people["director"]), child, png_bytes())
    item = Attachment.objects.get(child=child)
    bucket.client.delete_object(Bucket=bucket.name, Key=item.file.name)
    url = reverse("children:attachment", args=[child.pk, item.pk])
    assert login(people["director"]).get(url).status_code == 404


def test_two_uploads_never_share_an_object(bucket):
    first = SimpleUploadedFile("a.png", png_bytes(color="red"))
    second = SimpleUploadedFile("b.png", png_bytes(color="blue"))
    # The same stored name asked twice: the second is given another (file_overwrite=False).
    name = default_storage.save("children/same.png", first)
    other = default_storage.save("children/same.png", second)
    assert name != other
    assert bucket.read(name) != bucket.read(other)


def town_statistics_built(people, capture):
    """The town's statistics workbook asked for by its supervisor and built (the job run on
    commit, as a worker would)."""
    make_child(people["director"], ZHIDA)
    with capture(execute=True):
        job = export_services.export_request(
            user=people["supervisor"],
            kind="statistics",
            area_code=JINGGUAN,
            params={"date": TODAY},
            today=TODAY,
        )
    job.refresh_from_db()
    return job


def test_an_export_is_built_into_the_bucket_and_downloaded_in_scope(
    people, login, bucket, django_capture_on_commit_callbacks
):
    job = town_statistics_built(people, django_capture_on_commit_callbacks)
    assert job.status == ExportStatus.DONE
    assert bucket.keys() == [job.file.name]
    assert bucket.local_files() == []

    url = reverse("exports:download", args=[job.pk])
    download = login(people["supervisor"]).get(url)
    assert download.status_code == 200
    data = streamed(download)
    assert data == bucket.read(job.file.name)
    assert len(load_workbook(io.BytesIO(data)).sheetnames) == 9
    scopes = list(
        AccessLog.objects.filter(user=people["supervisor"])
        .order_by("pk")
        .values_list("scope", flat=True)
    )
    assert [s.split()[1] for s in scopes] == ["built", "download"]
    assert login(people["other_supervisor"]).get(url).status_code == 404

    # Past its lifetime the purge removes the object from the bucket.
    assert jobs.purge_expired(job.expires_at) == 1
    assert bucket.keys() == []


def test_a_training_material_lives_in_the_bucket(people, login, bucket):
    course = training_services.course_save(
        by=people["civil"], title="儿童主任培训", topics=[Topic.HOME_VISITS]
    )
    client = login(people["civil"])
    response = client.post(
        reverse("training:course_detail", args=[course.pk]),
        {"file": SimpleUploadedFile("讲义.pdf", MINIMAL_PDF)},
    )
    assert response.status_code == 302
    material = Material.objects.get(course=course)
    assert bucket.keys() == [material.file.name]
    download = login(people["director"]).get(reverse("training:material", args=[material.pk]))
    assert download.status_code == 200
    assert streamed(download) == MINIMAL_PDF
    url = reverse("training:material", args=[material.pk])
    assert login(people["other_director"]).get(url).status_code == 404
    assert bucket.local_files() == []


def test_an_activitys_photos_live_in_the_bucket(people, login, bucket):
    child = make_child(people["director"])
    activity, _created = activity_services.activity_record(
        by=people["director"], values=values(), children=[child], photos=[png("a.png"), png()]
    )
    photos = list(activity.photos.order_by("pk"))
    assert bucket.keys() == sorted(photo.file.name for photo in photos)
    url = reverse("activities:photo", args=[photos[0].pk])
    response = login(people["director"]).get(url)
    assert response.status_code == 200
    assert streamed(response) == bucket.read(photos[0].file.name)
    assert login(people["other_director"]).get(url).status_code == 404
    assert bucket.local_files() == []


def test_a_roster_is_kept_in_the_bucket_and_read_back_at_commit(people, login, bucket):
    content = workbook([good_row(id_number=make_id(BIRTH, "M"))])
    client = login(people["civil"])
    response = client.post(
        reverse("children:import"), {"file": SimpleUploadedFile("名册.xlsx", content)}
    )
    assert response.status_code == 302
    record = RosterImport.objects.get()
    assert record.errors == []
    assert bucket.keys() == [record.file.name]
    assert bucket.read(record.file.name) == content

    # The commit reads the kept file back from the bucket, not from the upload.
    response = client.post(reverse("children:import_commit", args=[record.pk]))
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.status == RosterImportStatus.COMMITTED
    assert Child.objects.count() == 1
    assert bucket.local_files() == []


# --- The store down ----------------------------------------------------------------------


def test_an_upload_to_a_store_that_is_down_fails_on_the_form(people, login, dead_storage):
    child = make_child(people["director"])
    response = attach(login(people["director"]), child, png_bytes())
    assert response.status_code == 400
    (message,) = form_errors(response)
    assert message == unavailable_message()
    assert UPLOAD_REFUSED in message  # in Chinese, as the user reads it
    assert not Attachment.objects.exists()
    child.refresh_from_db()
    assert not [p for p in dead_storage.rglob("*") if p.is_file()]
    # The rest of the archive still works: the child's page answers.
    assert (
        login(people["director"]).get(reverse("children:detail", args=[child.pk])).status_code
        == 200
    )


def test_imports_to_a_store_that_is_down_fail_on_their_forms(people, login, dead_storage):
    client = login(people["civil"])
    content = workbook([good_row(id_number=make_id(BIRTH, "F"))])
    roster = client.post(
        reverse("children:import"), {"file": SimpleUploadedFile("名册.xlsx", content)}
    )
    assert roster.status_code == 200  # the roster page answers its form's errors with 200
    assert UPLOAD_REFUSED in form_errors(roster)[0]
    assert not RosterImport.objects.exists()

    head = ["姓名", "身份证号码", "出生日期", "村（社区）", "类型"]
    upload = csv_file([head, ["王小红", make_id(BIRTH, "F"), "", "志达社区", "辍学"]])
    lists = client.post(reverse("matching:lists"), {"source": "edu_dropout", "file": upload})
    assert lists.status_code == 400
    assert UPLOAD_REFUSED in form_errors(lists)[0]
    assert not ListImport.objects.exists()
    assert not AccessLog.objects.exists()

    course = training_services.course_save(
        by=people["civil"], title="儿童主任培训", topics=[Topic.HOME_VISITS]
    )
    material = client.post(
        reverse("training:course_detail", args=[course.pk]),
        {"file": SimpleUploadedFile("讲义.pdf", MINIMAL_PDF)},
    )
    assert material.status_code == 400
    assert UPLOAD_REFUSED in form_errors(material)[0]
    assert not Material.objects.exists()


def test_an_activity_with_photos_is_not_recorded_when_the_store_is_down(people, dead_storage):
    child = make_child(people["director"])
    with pytest.raises(ValidationError) as caught:
        activity_services.activity_record(
            by=people["director"], values=values(), children=[child], photos=[png()]
        )
    assert caught.value.message_dict == {"photos": [unavailable_message()]}
    assert not Activity.objects.exists()
    assert not ActivityPhoto.objects.exists()


def test_an_export_to_a_store_that_is_down_fails_with_a_clear_message(
    people, login, dead_storage, django_capture_on_commit_callbacks
):
    job = town_statistics_built(people, django_capture_on_commit_callbacks)
    assert job.status == ExportStatus.FAILED
    assert EXPORT_REFUSED in job.message
    assert job.message == _(
        "The export file could not be saved: the file storage is full or unavailable. Request "
        "the export again later; if it keeps failing, tell your system administrator."
    )
    assert not job.file
    assert not [p for p in dead_storage.rglob("*") if p.is_file()]
    client = login(people["supervisor"])
    page = client.get(reverse("exports:detail", args=[job.pk]))
    assert EXPORT_REFUSED in page.content.decode()
    assert client.get(reverse("exports:download", args=[job.pk])).status_code == 404
