"""Issue 15: the menu page (the phone's menu without JavaScript), the grouped menu, the
unread badge on the bar, languages in their own names, the API documentation only for those
who use the API, and the Chinese error pages under DEBUG."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from notifications.models import Notification, NotificationKind
from org.tokens import token_create
from tests.signin import Client

pytestmark = pytest.mark.django_db


def _nav(html: str) -> str:
    return html.split('id="mainnav"', 1)[1].split("</nav>", 1)[0]


def test_the_menu_button_is_a_link_to_the_menu_page(people, login):
    html = login(people["director"]).get(reverse("home")).content.decode()
    toggler = re.search(r'<a class="navbar-toggler"[^>]*>', html)
    assert toggler is not None  # a link: it works without JavaScript
    assert f'href="{reverse("menu")}"' in toggler.group(0)
    assert 'data-bs-toggle="collapse"' in toggler.group(0)  # and unfolds in place with it


def test_the_menu_page_lists_the_menu_and_signs_out(people, login):
    client = login(people["director"])
    html = client.get(reverse("menu")).content.decode()
    page = html.split('data-testid="menu-page"', 1)[1]
    for text in ("首页", "儿童与走访", "儿童", "我的工作", "强制报告", "培训", "修改密码"):
        assert text in page, text
    assert "<details open" in page  # the groups are unfolded on the page
    assert f'action="{reverse("logout")}"' in page and "data-field-signout" in page
    assert client.post(reverse("logout")).status_code == 302


def test_the_menu_is_grouped(people, login):
    nav = _nav(login(people["civil"]).get(reverse("home")).content.decode())
    for group in ("儿童与走访", "督导", "统计与导出", "管理"):
        assert f'<summary class="nav-link">{group}</summary>' in nav, group
    top = re.findall(r'<li class="nav-item[^"]*">', nav)
    assert len(top) <= 10  # was 15-17 items in a row


def test_the_unread_badge_is_on_the_bar_not_inside_the_folded_menu(people, login):
    director = people["director"]
    Notification.objects.create(recipient=director, kind=NotificationKind.OTHER, title="测试")
    html = login(director).get(reverse("home")).content.decode()
    bar = html.split('id="mainnav"', 1)[0]
    assert 'data-testid="unread-badge">1<' in bar


def test_each_language_is_shown_in_its_own_name(people, login):
    html = login(people["director"]).get(reverse("home")).content.decode()
    assert 'data-testid="language-en">English<' in html
    assert 'data-testid="language-zh-hans">简体中文<' in html
    assert "英语" not in html


def test_the_api_documentation_is_linked_only_for_those_who_use_the_api(people, login, settings):
    director = people["director"]
    client = login(director)
    assert 'data-testid="nav-api-docs"' not in client.get(reverse("home")).content.decode()
    assert 'data-testid="api-docs-link"' not in client.get(reverse("my_tokens")).content.decode()
    token_create(user=director, name="手机")
    assert 'data-testid="api-docs-link"' in client.get(reverse("my_tokens")).content.decode()
    assert (
        'data-testid="nav-api-docs"'
        in login(people["secadmin"]).get(reverse("home")).content.decode()
    )
    settings.API_DOCS_IN_MENU = True
    assert 'data-testid="nav-api-docs"' in login(director).get(reverse("home")).content.decode()


def _debug_client(people, settings, **extra):
    settings.DEBUG = True
    settings.DEBUG_TECHNICAL_ERRORS = extra.get("technical", False)
    client = Client(raise_request_exception=False)
    client.force_login(people["director"])
    return client


def test_under_debug_an_unknown_address_answers_the_chinese_404(people, settings):
    response = _debug_client(people, settings).get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "页面不存在" in body and "URLconf" not in body


def test_under_debug_a_404_raised_by_a_view_is_the_chinese_page(people, settings):
    response = _debug_client(people, settings).get("/children/999999/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_under_debug_a_failing_page_answers_the_chinese_500(people, settings, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("carecase.views.archive_summary", broken)
    response = _debug_client(people, settings).get(reverse("home"))
    assert response.status_code == 500
    body = response.content.decode()
    assert "RuntimeError" not in body and "Traceback" not in body
    assert "服务器" in body or "出错" in body


def test_the_api_keeps_json_errors_under_debug(people, settings):
    response = _debug_client(people, settings).get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404
    assert response.json() == {"detail": "未找到。"} or "detail" in response.json()


def test_the_technical_pages_stay_behind_an_explicit_setting(people, settings):
    response = _debug_client(people, settings, technical=True).get("/no-such-page/")
    assert response.status_code == 404
    assert "URLconf" in response.content.decode()  # Django's debug page


def test_the_api_documentation_page_is_titled_in_chinese(people, login):
    html = login(people["secadmin"]).get(reverse("api-docs")).content.decode()
    assert "<title>接口文档 · 关爱服务个案管理系统</title>" in html
    assert 'content: "正在加载…"' in html


def test_the_sign_out_question_is_in_chinese(people, login):
    html = login(people["director"]).get(reverse("home")).content.decode()
    question = re.search(r'data-unsent-question="([^"]+)"', html)
    assert question is not None
    assert question.group(1).startswith("本手机上还有 %(n)s 条未发送的记录")
