"""Chinese error pages: 403 keeps the reason the code gave, 404 lists no URL patterns,
500 needs neither a user nor the database, a CSRF failure says what to do; /favicon.ico
answers (browsers ask for it on every site)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import path

from config.urls import urlpatterns as site_urls
from doorstep.cases.models import Case

pytestmark = pytest.mark.django_db


def _boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", _boom), *site_urls]


def test_404_is_chinese_and_lists_nothing(world, client):
    client.force_login(world.personas["resident"])
    got = client.get("/no-such-page/")
    body = got.content.decode()
    assert got.status_code == 404
    assert "找不到这个页面" in body and "回到工作台" in body
    assert "URLconf" not in body and "Page not found" not in body


def test_403_shows_the_reason_the_code_gave(world, client):
    client.force_login(world.personas["resident"])
    got = client.get("/cockpit/")
    body = got.content.decode()
    assert got.status_code == 403
    assert "没有权限" in body and "驾驶舱供街道、社区、网格工作人员使用" in body
    assert "Forbidden" not in body


def test_500_is_chinese_without_the_traceback(world, settings):
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)
    client.force_login(world.personas["resident"])
    got = client.get("/boom/")
    body = got.content.decode()
    assert got.status_code == 500
    assert "服务出错了" in body and "您填写的内容没有保存" in body
    assert "a bug" not in body and "Traceback" not in body


def test_a_csrf_failure_says_to_reload_and_changes_nothing(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.personas["resident"])
    before = Case.objects.count()
    got = client.post("/cases/new/", {"title": "楼道灯坏了", "description": "三单元"})
    body = got.content.decode()
    assert got.status_code == 403
    assert "页面已过期" in body and "刷新后再提交" in body
    assert "CSRF verification failed" not in body
    assert Case.objects.count() == before


def test_favicon(client):
    got = client.get("/favicon.ico")
    assert got.status_code == 200 and got["Content-Type"] == "image/x-icon"
    assert b"".join(got.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO header


def test_a_csrf_failure_on_the_api_answers_chinese_json(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.personas["resident"])
    before = Case.objects.count()
    got = client.post("/api/cases", {"title": "楼道灯坏了"}, content_type="application/json")
    assert got.status_code == 403
    assert got.json() == {
        "error": "forbidden",
        "detail": "请求已过期或来源不明（CSRF 校验失败），请刷新页面后重试",
    }
    assert Case.objects.count() == before
    # an /api/ address outside the API's own views still answers in JSON
    other = client.post("/api/no-such-thing", {}, content_type="application/json")
    assert other.status_code == 403 and other.json()["error"] == "forbidden"
