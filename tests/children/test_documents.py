"""Attachments (upload, content checks, scoped serving) and the dossier PDF."""

import datetime
import io
import shutil
import subprocess
import uuid
from urllib.parse import quote

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import resolve, reverse
from django.utils.translation import gettext as _
from PIL import Image

from children import dossier
from children.attachments import save_attachment
from children.models import AccessAction, AccessLog, Attachment
from children.records import record_save
from children.registration import child_save
from core import clock as app_clock
from tests.factories import child_input, make_child


def _minimal_pdf() -> bytes:
    """A real one-page PDF (header, objects, cross-reference table, trailer)."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


MINIMAL_PDF = _minimal_pdf()
OUTSIDERS = ["neighbour", "other_civil"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def png_bytes(size: tuple[int, int] = (40, 30), color: str = "red", mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, format="PNG")
    return out.getvalue()


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 80), "blue").save(out, format="JPEG")
    return out.getvalue()


def upload_url(child) -> str:
    return reverse("children:attachment_new", args=[child.pk])


def post_file(client, child, name: str, content: bytes, kind: str = "photo", **extra):
    data = {
        "kind": kind,
        "description": "",
        "file": SimpleUploadedFile(name, content, content_type="image/png"),
        **extra,
    }
    return client.post(upload_url(child), data)


def field_errors(response, name: str = "file") -> list[str]:
    return list(response.context["form"].errors.get(name, []))


def pdf_text(pdf: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: install poppler-utils (apt-get install poppler-utils)")
    path = tmp_path / "dossier.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(  # noqa: S603
        ["pdftotext", "-enc", "UTF-8", str(path), "-"],  # noqa: S607
        capture_output=True,
        check=True,
    )
    return result.stdout.decode("utf-8")


@pytest.fixture
def child(people):
    return make_child(people["director"])


# --- Uploading ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/children/1/attachments/new/", "attachment_new"),
        ("/children/1/attachments/2/", "attachment"),
        ("/children/1/dossier.pdf", "dossier_pdf"),
    ],
)
def test_the_document_urls_reach_their_views(path, name):
    # children/urls.py must list the documents before its "<int:pk>/<str:kind>/new/" route.
    match = resolve(path)
    assert (match.namespace, match.url_name) == ("children", name)
    # The dossier prints visits and reports too: it is served from above them (casefile).
    module = "casefile.views" if name == "dossier_pdf" else "children.document_views"
    assert match.func.__module__ == module


def test_a_director_uploads_a_real_png(people, login, child, media):
    content = png_bytes()
    client = login(people["director"])
    assert client.get(upload_url(child)).status_code == 200
    response = post_file(client, child, "张小明 照片.png", content, description="2026年春")
    assert response.status_code == 302
    assert response["Location"] == reverse("children:detail", args=[child.pk])
    item = Attachment.objects.get(child=child)
    assert item.kind == "photo"
    assert item.content_type == "image/png"
    assert item.size == len(content)
    assert item.original_name == "张小明 照片.png"
    assert item.description == "2026年春"
    assert item.created_by == people["director"]
    # The stored name is random and keeps nothing of the uploaded one.
    assert item.file.name.startswith(f"children/{child.pk}/")
    assert item.file.name.endswith(".png")
    assert "张小明" not in item.file.name
    with item.file.open("rb") as stored:
        assert stored.read() == content


def test_a_supervisor_uploads_a_pdf(people, login, child):
    client = login(people["supervisor"])
    response = post_file(client, child, "确认书.PDF", MINIMAL_PDF, kind="entrustment")
    assert response.status_code == 302
    item = Attachment.objects.get(child=child)
    assert (item.kind, item.content_type, item.size) == (
        "entrustment",
        "application/pdf",
        len(MINIMAL_PDF),
    )
    assert item.file.name.endswith(".pdf")


def test_a_jpeg_named_png_is_stored_as_what_it_is(people, login, child):
    response = post_file(login(people["director"]), child, "photo.png", jpeg_bytes())
    assert response.status_code == 302
    item = Attachment.objects.get(child=child)
    assert item.content_type == "image/jpeg"
    assert item.file.name.endswith(".jpg")


@pytest.mark.parametrize(
    "content",
    [
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200,  # a Windows .exe
        "这不是图片，只是文字。".encode(),
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
    ],
    ids=["exe", "text", "svg"],
)
def test_a_file_renamed_png_is_refused_by_its_content(people, login, child, content):
    response = post_file(login(people["director"]), child, "photo.png", content)
    assert response.status_code == 400
    assert field_errors(response) == [
        _("This type of file is not accepted: upload a JPEG or PNG photo or a PDF.")
    ]
    assert not Attachment.objects.exists()


def test_a_damaged_image_is_refused(people, login, child, media):
    damaged = png_bytes()[:24] + b"\x00" * 100
    response = post_file(login(people["director"]), child, "photo.png", damaged)
    assert response.status_code == 400
    assert field_errors(response) == [_("The image is damaged or not a real JPEG or PNG file.")]
    assert not Attachment.objects.exists()
    assert not [p for p in media.rglob("*") if p.is_file()]


def test_a_file_over_the_limit_is_refused(people, login, child, settings):
    settings.ATTACHMENT_MAX_BYTES = 100
    response = post_file(login(people["director"]), child, "photo.png", png_bytes((300, 300)))
    assert response.status_code == 400
    (message,) = field_errors(response)
    assert message == _("The file is too large: at most %(limit)s MB is allowed.") % {
        "limit": f"{100 / (1024 * 1024):.3g}"
    }
    assert not Attachment.objects.exists()


def test_an_empty_file_and_a_missing_kind_are_refused(people, login, child):
    client = login(people["director"])
    response = post_file(client, child, "photo.png", b"")
    assert response.status_code == 400
    assert field_errors(response) == [_("The file is empty.")]
    response = client.post(upload_url(child), {"kind": "photo"})
    assert field_errors(response) == [_("Choose a file.")]
    response = post_file(client, child, "photo.png", png_bytes(), kind="selfie")
    assert field_errors(response, "kind")
    assert not Attachment.objects.exists()


def test_the_same_upload_sent_twice_is_stored_once(people, login, child, media):
    client = login(people["director"])
    token = str(uuid.uuid4())
    for _attempt in range(2):
        response = post_file(client, child, "photo.png", png_bytes(), client_token=token)
        assert response.status_code == 302
    assert Attachment.objects.filter(child=child).count() == 1
    assert len([p for p in media.rglob("*") if p.is_file()]) == 1


def test_no_file_is_left_behind_when_the_row_is_not_written(people, child, media, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(Attachment, "save", fail)
    upload = SimpleUploadedFile("photo.png", png_bytes())
    with pytest.raises(RuntimeError):
        save_attachment(by=people["director"], child=child, kind="photo", upload=upload)
    assert not [p for p in media.rglob("*") if p.is_file()]


def test_the_service_refuses_a_child_out_of_scope(people, child):
    from django.core.exceptions import PermissionDenied

    upload = SimpleUploadedFile("photo.png", png_bytes())
    with pytest.raises(PermissionDenied):
        save_attachment(by=people["neighbour"], child=child, kind="photo", upload=upload)
    assert not Attachment.objects.exists()


# --- Serving --------------------------------------------------------------------------------


def _attach(people, child, content: bytes, name: str = "photo.png", kind: str = "photo"):
    upload = SimpleUploadedFile(name, content)
    return save_attachment(by=people["director"], child=child, kind=kind, upload=upload)


def test_serving_returns_the_bytes_privately_and_logs_it(people, login, child):
    content = png_bytes()
    item = _attach(people, child, content, name="照片.png")
    client = login(people["supervisor"])
    response = client.get(reverse("children:attachment", args=[child.pk, item.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment")
    assert quote("照片.png") in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    log = AccessLog.objects.get(action=AccessAction.ATTACHMENT)
    assert (log.user, log.child) == (people["supervisor"], child)


def test_a_pdf_attachment_is_served_as_pdf(people, login, child):
    item = _attach(people, child, MINIMAL_PDF, name="证明.pdf", kind="certificate")
    response = login(people["civil"]).get(reverse("children:attachment", args=[child.pk, item.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == MINIMAL_PDF


def test_an_attachment_is_not_served_under_another_child(people, login, child):
    other = make_child(people["director"], name="李小红", gender="F")
    item = _attach(people, other, png_bytes())
    client = login(people["director"])
    url = reverse("children:attachment", args=[child.pk, item.pk])
    assert client.get(url).status_code == 404
    assert not AccessLog.objects.filter(action=AccessAction.ATTACHMENT).exists()


@pytest.mark.parametrize("outsider", OUTSIDERS)
def test_outsiders_get_404_everywhere(people, login, child, outsider):
    item = _attach(people, child, png_bytes())
    client = login(people[outsider])
    assert client.get(upload_url(child)).status_code == 404
    assert post_file(client, child, "photo.png", png_bytes()).status_code == 404
    assert Attachment.objects.count() == 1
    url = reverse("children:attachment", args=[child.pk, item.pk])
    assert client.get(url).status_code == 404
    pdf = reverse("children:dossier_pdf", args=[child.pk])
    assert client.get(pdf).status_code == 404
    assert not AccessLog.objects.exists()


# --- The dossier PDF ------------------------------------------------------------------------


def _add_records(people, child, assistance: int = 1) -> None:
    by = people["director"]
    day = datetime.date(2026, 3, 1)
    for i in range(assistance):
        record_save(
            by=by,
            child=child,
            kind="assistance",
            values={
                "kind": "education",
                "status": "granted",
                "started_on": day,
                "amount": 500 + i,
                "provider": f"静观镇教育办{i}",
            },
        )
    record_save(
        by=by,
        child=child,
        kind="referral",
        values={
            "organisation": "北碚区未成年人救助保护中心",
            "reason": "心理疏导",
            "referred_on": day,
        },
    )
    record_save(
        by=by, child=child, kind="note", values={"noted_on": day, "text": "电话联系祖父，情况稳定"}
    )
    record_save(
        by=by,
        child=child,
        kind="problem",
        values={"found_on": day, "description": "作业无人辅导", "solution": "", "solved_on": None},
    )


def test_the_dossier_is_a_pdf_with_the_archive_in_it(people, login, child, tmp_path):
    _add_records(people, child)
    _attach(people, child, MINIMAL_PDF, name="委托监护确认书.pdf", kind="entrustment")
    data = child_input(id_number=child.id_number, school_name="静观镇第二小学")
    child_save(by=people["director"], data=data, instance=child)

    client = login(people["director"])
    response = client.get(reverse("children:dossier_pdf", args=[child.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    today = app_clock.today()
    name = f"{_('Child dossier')}-张小明-{today.isoformat()}.pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote(name)}" in disposition

    text = pdf_text(pdf, tmp_path)
    for expected in (
        "张小明",
        "张建国",  # a parent
        "张大爷",  # the entrusted carer
        "静观镇教育办0",  # assistance
        "北碚区未成年人救助保护中心",  # referral
        "电话联系祖父",  # work-log note
        "作业无人辅导",  # problem
        "委托监护确认书.pdf",  # attachment name
        "静观镇第二小学",  # the changed school, and the change in the history
        people["director"].real_name,  # who printed it and who changed it
    ):
        assert expected in text, expected
    assert text.count("静观镇第二小学") >= 2
    assert "静观镇中心小学" in text  # the old value, in the history
    log = AccessLog.objects.get(action=AccessAction.PDF)
    assert (log.user, log.child) == (people["director"], child)


def test_the_dossier_embeds_the_cjk_font(people, child, tmp_path):
    pdf = dossier.render_pdf(dossier.dossier_queryset().get(pk=child.pk), people["director"])
    assert pdf.startswith(b"%PDF")
    if shutil.which("pdffonts") is None:
        pytest.fail("pdffonts is missing: install poppler-utils (apt-get install poppler-utils)")
    path = tmp_path / "dossier.pdf"
    path.write_bytes(pdf)
    listing = subprocess.run(  # noqa: S603
        ["pdffonts", str(path)],  # noqa: S607
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    embedded = [line for line in listing.splitlines() if "CJK" in line and "Noto" in line]
    assert embedded, listing
    # Every CJK font is embedded (emb = yes), so the PDF reads the same on any machine.
    assert all(" yes " in line for line in embedded)


def test_the_id_number_is_masked_without_the_permission(people, login, child, tmp_path):
    full = child.id_number
    url = reverse("children:dossier_pdf", args=[child.pk])
    text = pdf_text(login(people["director"]).get(url).content, tmp_path)
    assert full not in text
    assert child.id_masked in text

    people["director"].user_permissions.add(Permission.objects.get(codename="view_identifier"))
    text = pdf_text(login(people["director"]).get(url).content, tmp_path)
    assert full in text


def test_parent_ids_are_masked_too(people, child, tmp_path):
    from tests.factories import make_id

    father_id = make_id(datetime.date(1985, 6, 1), "M")
    data = child_input(id_number=child.id_number)
    data.parents["father"]["id_number"] = father_id
    child_save(by=people["director"], data=data, instance=child)
    html = dossier.render_html(dossier.dossier_queryset().get(pk=child.pk), people["director"])
    assert father_id not in html
    assert father_id[:6] + "********" + father_id[-4:] in html


def test_the_childs_photo_is_embedded_without_fetching(people, child):
    _attach(people, child, png_bytes((800, 1000), color=(0, 0, 0, 0), mode="RGBA"))
    html = dossier.render_html(dossier.dossier_queryset().get(pk=child.pk), people["director"])
    assert 'src="data:image/jpeg;base64,' in html
    assert "http" not in html.split("<body>", 1)[1].split("</body>")[0].replace("http://", "")
    pdf = dossier.render_pdf(dossier.dossier_queryset().get(pk=child.pk), people["director"])
    assert pdf.startswith(b"%PDF")


def test_the_url_fetcher_refuses_everything_but_data_uris():
    assert dossier.url_fetcher("data:text/plain;base64,5L2g5aW9")["string"] == "你好".encode()
    assert dossier.url_fetcher("data:,a%20b")["string"] == b"a b"
    for url in (
        "http://example.com/x.png",
        "https://example.com/x.css",
        "file:///etc/passwd",
        "/etc/passwd",
    ):
        with pytest.raises(ValueError):
            dossier.url_fetcher(url)


@pytest.mark.parametrize("assistance", [1, 10])
def test_the_dossier_query_count_does_not_grow(
    people, login, child, assistance, django_assert_max_num_queries
):
    _add_records(people, child, assistance=assistance)
    for i in range(3):
        _attach(people, child, png_bytes(), name=f"photo{i}.png")
    client = login(people["director"])
    url = reverse("children:dossier_pdf", args=[child.pk])
    # 20 for the archive, 4 for the visits (the recent ones, the count of older ones) and the
    # reports the reader may see (its grants, the reports; their steps when there are some),
    # +1 the referrals to service providers the reader sees, +1 the case plans.
    with django_assert_max_num_queries(26):
        assert client.get(url).status_code == 200


def _pdf_with_html(tmp_path):
    return b"%PDF-1.4\n<html><script>alert(document.cookie)</script></html>\n"


def test_a_pdf_header_followed_by_html_is_refused(people, login, child):
    client = login(people["director"])
    response = post_file(client, child, "evil.html", _pdf_with_html(None))
    assert response.status_code == 400
    assert _("The PDF is damaged or not a real PDF file.") in response.content.decode()
    assert not Attachment.objects.exists()


def test_attachments_download_under_the_checked_type(people, login, child):
    item = _attach(people, child, MINIMAL_PDF, name="evil.html", kind="certificate")
    response = login(people["civil"]).get(reverse("children:attachment", args=[child.pk, item.pk]))
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment") and "evil.pdf" in disposition
    assert "html" not in disposition
