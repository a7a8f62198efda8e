"""Service certificates: who may issue one, the figures frozen at issue, the refusals
(nothing written), one per person, organisation and period, and both renderings."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from doorstep.core.models import AuditEntry
from doorstep.core.tests.test_officedoc import assert_filed_as_office_document
from doorstep.service import certificates
from doorstep.service.errors import Conflict, Denied, ServiceError
from doorstep.service.models import Certificate, ServiceRecord

pytestmark = pytest.mark.django_db

NUMBER = re.compile(r"^ZY\d{4}[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{10}$")


def served(user, org, days_ago: int, hours: str, status: str = "verified") -> ServiceRecord:
    end = timezone.now().replace(microsecond=0) - dt.timedelta(days=days_ago)
    start = end - dt.timedelta(hours=float(hours))
    return ServiceRecord.objects.create(
        user=user,
        organisation=org,
        source="self",
        started_at=start,
        ended_at=end,
        hours=Decimal(hours),
        description="陪同独居老人就医",
        status=status,
    )


def period(days_back: int = 60, days_end: int = 0) -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    return today - dt.timedelta(days=days_back), today - dt.timedelta(days=days_end)


def period_kw(*args: int) -> dict[str, dt.date]:
    """The period as the keywords `certificates.issue` takes."""
    start, end = period(*args)
    return {"period_start": start, "period_end": end}


@pytest.fixture
def member(world):
    user = world.personas["party_member"]
    served(user, world.grid_a, 10, "1.5")
    served(user, world.community_1, 20, "2")
    return user


def test_a_member_certifies_verified_hours_under_the_community_with_frozen_figures(world):
    user = world.personas["party_member"]
    served(user, world.grid_a, 10, "1.5")
    served(user, world.community_1, 20, "2")
    served(user, world.grid_a, 5, "3", status="pending")
    served(user, world.grid_a, 6, "4", status="rejected")
    served(user, world.grid_c, 7, "5")  # another community
    served(user, world.grid_a, 90, "6")  # before the period
    start, end = period()
    before = AuditEntry.objects.count()

    cert = certificates.issue(
        user, organisation=world.community_1, period_start=start, period_end=end, actor=user
    )

    assert (cert.hours, cert.records) == (Decimal("3.50"), 2)
    assert (cert.name, cert.id_masked) == ("李建国", "110***********0016")
    assert (cert.period_start, cert.period_end, cert.organisation) == (
        start,
        end,
        world.community_1,
    )
    assert NUMBER.match(cert.number) and cert.number[2:6] == str(timezone.localdate().year)
    entry = AuditEntry.objects.order_by("-id").first()
    assert AuditEntry.objects.count() == before + 1
    assert (entry.action, entry.target_id) == ("create", str(cert.pk))
    # Later changes to the records leave the certificate as issued.
    ServiceRecord.objects.filter(user=user).update(hours=Decimal("9"))
    cert.refresh_from_db()
    assert cert.hours == Decimal("3.50")


def test_the_street_certifies_everything_under_it(world, member):
    served(member, world.grid_c, 3, "5")
    start, end = period()
    cert = certificates.issue(
        member,
        organisation=world.street,
        period_start=start,
        period_end=end,
        actor=world.personas["street_officer"],
    )
    assert (cert.hours, cert.records) == (Decimal("8.50"), 3)


def test_without_a_resident_the_display_name_is_used_and_no_id_shown(world):
    outsider = world.personas["outsider"]
    served(outsider, world.grid_b, 3, "2")
    start, end = period()
    cert = certificates.issue(
        outsider, organisation=world.community_1, period_start=start, period_end=end, actor=outsider
    )
    assert (cert.name, cert.id_masked) == ("局外人", "")


@pytest.mark.parametrize(
    ("start_back", "end_back", "message"),
    [
        (10, 20, "截止日期不能早于起始日期"),
        (10, -1, "截止日期不能晚于今天"),
        (5 * 366 + 10, 0, "一份证明的时段不超过5年"),
        (60, 30, "该时段没有已认定的服务时长"),
    ],
)
def test_bad_periods_are_refused_and_write_nothing(world, member, start_back, end_back, message):
    before = AuditEntry.objects.count()
    with pytest.raises(ServiceError) as e:
        certificates.issue(
            member, organisation=world.community_1, **period_kw(start_back, end_back), actor=member
        )
    assert message in e.value.message and e.value.status == 400
    assert not Certificate.objects.exists()
    assert AuditEntry.objects.count() == before


def test_five_years_less_a_day_is_accepted(world, member):
    end = timezone.localdate()
    start = certificates._add_years(end, -5) + dt.timedelta(days=1)
    cert = certificates.issue(
        member, organisation=world.community_1, period_start=start, period_end=end, actor=member
    )
    assert cert.hours == Decimal("3.50")


def test_a_second_request_for_the_same_period_names_the_first_and_writes_nothing(world, member):
    start, end = period()
    first = certificates.issue(
        member, organisation=world.community_1, period_start=start, period_end=end, actor=member
    )
    before = AuditEntry.objects.count()
    with pytest.raises(Conflict) as e:
        certificates.issue(
            member,
            organisation=world.community_1,
            period_start=start,
            period_end=end,
            actor=world.personas["community_officer"],
        )
    assert e.value.message == f"该时段的证明已出具，编号 {first.number}"
    assert e.value.status == 409
    assert list(Certificate.objects.all()) == [first]
    assert AuditEntry.objects.count() == before
    # Another period is another certificate, with another number.
    other = certificates.issue(
        member,
        organisation=world.community_1,
        period_start=start,
        period_end=end - dt.timedelta(days=1),
        actor=member,
    )
    assert other.number != first.number


def test_a_colliding_number_is_drawn_again(world, member, monkeypatch):
    start, end = period()
    first = certificates.issue(
        member, organisation=world.community_1, period_start=start, period_end=end, actor=member
    )
    draws = iter([first.number, "ZY2026ABCDEFGHJK"])
    monkeypatch.setattr(certificates, "new_number", lambda year: next(draws))
    second = certificates.issue(
        member,
        organisation=world.community_1,
        period_start=start,
        period_end=end - dt.timedelta(days=1),
        actor=member,
    )
    assert second.number == "ZY2026ABCDEFGHJK"
    assert Certificate.objects.count() == 2


@pytest.mark.parametrize(
    ("actor", "org"),
    [
        ("grid_worker_a", "community_1"),  # a grid's staff cannot speak for the community
        ("community_officer", "community_2"),  # another community
        ("resident", "community_1"),  # another resident
        ("party_member", "community_2"),  # the member served nowhere there
        ("party_member", "grid_a"),  # a grid does not issue certificates
    ],
)
def test_who_may_not_issue(world, member, actor, org):
    before = AuditEntry.objects.count()
    with pytest.raises(Denied):
        certificates.issue(
            member, organisation=getattr(world, org), **period_kw(), actor=world.personas[actor]
        )
    assert not Certificate.objects.exists()
    assert AuditEntry.objects.count() == before


def test_staff_of_the_community_may_issue_for_a_member(world, member):
    cert = certificates.issue(
        member,
        organisation=world.community_1,
        **period_kw(),
        actor=world.personas["community_officer"],
    )
    assert cert.user == member and cert.hours == Decimal("3.50")


def test_the_issuers_offered_are_the_communities_and_street_of_the_records(world, member):
    assert list(certificates.issuers_for(member)) == [world.street, world.community_1]
    assert list(certificates.issuers_for(world.personas["resident"])) == []


def test_verify_ignores_case_and_spaces_and_refuses_garbage(world, member):
    cert = certificates.issue(member, organisation=world.community_1, **period_kw(), actor=member)
    assert certificates.verify(f"  {cert.number.lower()} ") == cert
    assert certificates.verify("ZY2026AAAAAAAAAA") is None
    for bad in ["", "   ", "A" * 25, "ZY2026\x00AAAA", "ZY-2026", "ＺＹ２０２６"]:
        with pytest.raises(ServiceError):
            certificates.verify(bad)


def test_the_docx_names_the_person_hours_number_and_where_to_check(world, member, settings):
    settings.SITE_URL = "https://jmk.example.cn/"
    cert = certificates.issue(member, organisation=world.community_1, **period_kw(), actor=member)
    doc = assert_filed_as_office_document(certificates.render_docx(cert))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = [c.text for row in doc.tables[0].rows for c in row.cells]
    assert "志愿服务证明" in text
    assert "李建国（身份证号：110***********0016）" in text and "3.5 小时" in text
    assert "可在 https://jmk.example.cn/certificates/verify/ 输入编号核验" in text
    assert cert.number in cells and "3.5 小时" in cells and "清华东路社区" in cells
    assert "110108196001010016" not in text + "".join(cells)


def test_the_pdf_is_one_a4_page_with_its_chinese_font_embedded(world, member, tmp_path):
    """What a clerk's printer sees: pdffonts lists an embedded Chinese TrueType subset, and
    the text read back from the page is the certificate (poppler-utils, as installed by
    make browser)."""
    cert = certificates.issue(member, organisation=world.community_1, **period_kw(), actor=member)
    body = certificates.render_pdf(cert)
    assert body is not None
    path = tmp_path / "cert.pdf"
    path.write_bytes(body)

    info = _poppler("pdfinfo", path)
    assert re.search(r"Pages:\s+1\n", info)
    assert "(A4)" in info

    fonts = _poppler("pdffonts", path).splitlines()[2:]  # after the two header lines
    assert fonts, "the PDF names no font"
    for row in fonts:
        # name, type (TrueType/CID TrueType), encoding, emb, sub, uni, object, id
        assert "TrueType" in row and re.search(r"\byes\s+yes\s+yes\b", row), row
    assert "STSong-Light" not in "".join(fonts)

    text = _poppler("pdftotext", path, "-")
    assert "志愿服务证明" in text and cert.number in text
    assert "李建国" in text and "3.5 小时" in text
    assert "110108196001010016" not in text


def _poppler(tool: str, *args: Any) -> str:
    if not shutil.which(tool):
        pytest.fail(f"{tool} not found: run `make browser` (Debian's poppler-utils)")
    return subprocess.run(
        [tool, *map(str, args)], capture_output=True, text=True, check=True, timeout=60
    ).stdout


def _race() -> None:
    """Two requests for the same certificate at the same moment: one certificate."""
    import threading

    from django.db import connection

    from doorstep.core.testing import build_world

    world = build_world()
    user = world.personas["party_member"]
    served(user, world.grid_a, 10, "1.5")
    start, end = period()
    actors = [user, world.personas["community_officer"]]
    barrier = threading.Barrier(2, timeout=60)
    results: list[object] = [None, None]

    def request(i: int) -> None:
        barrier.wait()
        try:
            results[i] = certificates.issue(
                user,
                organisation=world.community_1,
                period_start=start,
                period_end=end,
                actor=actors[i],
            )
        except Conflict as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=request, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    made = [r for r in results if isinstance(r, Certificate)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(made) == 1 and len(refused) == 1, results
    assert refused[0].message == f"该时段的证明已出具，编号 {made[0].number}"
    assert list(Certificate.objects.values_list("number", flat=True)) == [made[0].number]
    assert AuditEntry.objects.filter(target_type="service.certificate").count() == 1


def sqlite_child() -> None:
    _race()
    print("sqlite race: ok")


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_make_one_certificate(tmp_path):
    from django.db import connection

    from doorstep.core.testing import run_in_sqlite_file

    if connection.vendor == "postgresql":
        _race()
    else:
        out = run_in_sqlite_file(tmp_path, "doorstep.service.tests.test_certificates:sqlite_child")
        assert "sqlite race: ok" in out
