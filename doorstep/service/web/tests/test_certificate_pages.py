"""Certificate pages: requesting one, downloading it (owner or staff in scope, audited),
and the public check by number (masked name, bad input 400, rate limit 429)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from doorstep.core.models import AuditEntry
from doorstep.service import certificates
from doorstep.service.models import Certificate, ServiceRecord
from doorstep.service.web import views_certificates

pytestmark = pytest.mark.django_db

LIST = "/service/certificates/"
VERIFY = "/certificates/verify/"


@pytest.fixture(autouse=True)
def _fresh_cache(monkeypatch):
    cache.clear()
    monkeypatch.setattr(views_certificates, "_clock", lambda: 1_800_000_000.0)
    yield
    cache.clear()


def _served(user, org, days_ago: int, hours: str) -> None:
    end = timezone.now().replace(microsecond=0) - dt.timedelta(days=days_ago)
    ServiceRecord.objects.create(
        user=user,
        organisation=org,
        source="self",
        started_at=end - dt.timedelta(hours=float(hours)),
        ended_at=end,
        hours=Decimal(hours),
        description="楼道清理",
        status="verified",
    )


def _period() -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    return today - dt.timedelta(days=60), today


def _period_kw(*args: int) -> dict[str, dt.date]:
    """The period as the keywords `certificates.issue` takes."""
    start, end = _period(*args)
    return {"period_start": start, "period_end": end}


@pytest.fixture
def member(world):
    user = world.personas["party_member"]
    _served(user, world.grid_a, 10, "1.5")
    _served(user, world.community_1, 20, "2")
    return user


@pytest.fixture
def cert(world, member):
    return certificates.issue(member, organisation=world.community_1, **_period_kw(), actor=member)


def _exports() -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(action="export", target_type="service.certificate").order_by("id")
    )


def test_the_url_names_resolve_to_the_paths():
    assert reverse("serve:certificates") == LIST
    assert reverse("serve:certificate_docx", args=[7]) == "/service/certificates/7/docx/"
    assert reverse("serve:certificate_pdf", args=[7]) == "/service/certificates/7/pdf/"
    assert reverse("serve:certificate_verify") == VERIFY


def test_a_member_requests_a_certificate_on_the_page(world, member, login):
    client = login("party_member", world)
    page = client.get(LIST)
    assert page.status_code == 200
    assert "清华东路社区" in page.content.decode() and "申请出具证明" in page.content.decode()
    start, end = _period()
    response = client.post(
        LIST,
        {"organisation": world.community_1.pk, "period_start": start, "period_end": end},
        follow=True,
    )
    cert = Certificate.objects.get()
    assert (cert.user, cert.hours, cert.records) == (member, Decimal("3.50"), 2)
    body = response.content.decode()
    assert f"证明已出具，编号 {cert.number}" in body
    assert reverse("serve:certificate_pdf", args=[cert.pk]) in body


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"organisation": "x"}, 400, "请选择出具证明的组织"),
        ({"organisation": "c2"}, 400, "请选择出具证明的组织"),
        ({"period_start": "2026-13-01"}, 400, "请填写有效的起始日期"),
        ({"period_end": "\x00"}, 400, "控制字符"),
        ({"period_start": "2000-01-01"}, 400, "一份证明的时段不超过5年"),
    ],
)
def test_bad_requests_answer_with_a_message_and_write_nothing(
    world, member, login, fields, status, message
):
    start, end = _period()
    data = {"organisation": world.community_1.pk, "period_start": start, "period_end": end}
    data.update(fields)
    if data["organisation"] == "c2":
        data["organisation"] = world.community_2.pk
    client = login("party_member", world)
    before = AuditEntry.objects.count()
    response = client.post(LIST, data)
    assert response.status_code == status
    assert message in response.content.decode()
    assert not Certificate.objects.exists()
    assert AuditEntry.objects.count() == before


def test_a_duplicate_request_answers_409_with_the_number(world, cert, login):
    start, end = _period()
    response = login("party_member", world).post(
        LIST, {"organisation": world.community_1.pk, "period_start": start, "period_end": end}
    )
    assert response.status_code == 409
    assert f"该时段的证明已出具，编号 {cert.number}" in response.content.decode()
    assert Certificate.objects.count() == 1


def test_the_owner_downloads_both_formats_and_each_is_audited(world, cert, login):
    client = login("party_member", world)
    docx = client.get(reverse("serve:certificate_docx", args=[cert.pk]))
    pdf = client.get(reverse("serve:certificate_pdf", args=[cert.pk]))
    assert docx.status_code == pdf.status_code == 200
    assert docx["Content-Type"].endswith("wordprocessingml.document")
    assert docx.content.startswith(b"PK")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    for response, ext in ((docx, "docx"), (pdf, "pdf")):
        disposition = response["Content-Disposition"]
        assert disposition.startswith("attachment; filename*=utf-8''")
        assert disposition.endswith(f"{cert.number}.{ext}")
        assert "%E5%BF%97%E6%84%BF" in disposition  # 志愿, percent-encoded (RFC 5987)
    entries = _exports()
    assert [(e.detail["format"], e.target_id, e.actor) for e in entries] == [
        ("docx", str(cert.pk), world.personas["party_member"]),
        ("pdf", str(cert.pk), world.personas["party_member"]),
    ]


@pytest.mark.parametrize("persona", ["resident", "grid_worker_b", "outsider"])
def test_others_get_404_and_nothing_is_audited(world, cert, login, persona):
    client = login(persona, world)
    for name in ("serve:certificate_docx", "serve:certificate_pdf"):
        assert client.get(reverse(name, args=[cert.pk])).status_code == 404
    assert _exports() == []


def test_an_anonymous_download_goes_to_login(world, cert, client):
    response = client.get(reverse("serve:certificate_pdf", args=[cert.pk]))
    assert response.status_code == 302 and "login" in response["Location"]
    assert _exports() == []


@pytest.mark.parametrize("persona", ["community_officer", "street_officer"])
def test_staff_in_scope_may_download(world, cert, login, persona):
    response = login(persona, world).get(reverse("serve:certificate_docx", args=[cert.pk]))
    assert response.status_code == 200
    assert [e.actor for e in _exports()] == [world.personas[persona]]


def test_the_public_check_shows_the_masked_certificate_without_login(world, cert, client):
    response = client.get(VERIFY, {"n": f" {cert.number.lower()} "})
    body = response.content.decode()
    assert response.status_code == 200
    assert "证明有效" in body and "李**" in body and "李建国" not in body
    assert "110***********0016" in body and "3.50 小时（2 次）" in body
    assert "清华东路社区" in body


def test_the_public_check_works_when_logged_in_too(world, cert, login):
    response = login("resident", world).get(VERIFY, {"n": cert.number})
    assert response.status_code == 200 and "李**" in response.content.decode()


def test_the_check_page_without_a_number_shows_the_form(client, db):
    response = client.get(VERIFY)
    assert response.status_code == 200
    assert 'name="n"' in response.content.decode()
    assert "未找到" not in response.content.decode()


def test_an_unknown_number_is_not_found(client, db):
    response = client.get(VERIFY, {"n": "ZY2026AAAAAAAAAA"})
    assert response.status_code == 200
    assert "未找到该编号的证明" in response.content.decode()


@pytest.mark.parametrize("bad", ["", "ZY2026\x00AAAA", "Z" * 5000, "<script>"])
def test_bad_numbers_answer_400_with_a_message(client, db, bad):
    response = client.get(VERIFY, {"n": bad})
    assert response.status_code == 400
    body = response.content.decode()
    assert "证明编号" in body and "<script>" not in body.split("<main")[-1].split("</main>")[0]


def test_more_than_thirty_lookups_a_minute_from_one_address_answer_429(world, cert, client):
    for _ in range(30):
        assert client.get(VERIFY, {"n": "ZY2026AAAAAAAAAA"}).status_code == 200
    response = client.get(VERIFY, {"n": cert.number})
    assert response.status_code == 429
    assert "查询过于频繁" in response.content.decode() and "李**" not in response.content.decode()
    # Another address still gets answers.
    other = client.get(VERIFY, {"n": cert.number}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200 and "李**" in other.content.decode()


def test_the_check_address_follows_the_host_the_owner_came_to(world, cert, login, settings):
    """A demo on another port prints a check address that opens (no operator setting)."""
    import io

    from docx import Document

    settings.SITE_URL = ""
    client = login("party_member", world)
    docx = client.get(
        reverse("serve:certificate_docx", args=[cert.pk]), HTTP_HOST="testserver:8123"
    )
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    assert "http://testserver:8123/certificates/verify/" in text
