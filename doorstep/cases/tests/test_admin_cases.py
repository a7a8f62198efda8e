"""The cases back office: categories and holidays are configured, cases are only read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from doorstep.accounts.models import User
from doorstep.cases import services
from doorstep.cases.locating import locate
from doorstep.cases.models import Case, CaseEvent, Category, HolidayOverride, Urgency
from doorstep.cases.workflow import S

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser(username="root", password="Root-pass-2026")


@pytest.fixture
def case(cw):
    p = cw.personas
    made = services.create_case(
        actor=p["resident"],
        category=cw.repair,
        description="楼道灯坏了",
        location=locate(building=cw.world.building_a),
        contact_name="王芳",
        contact_phone="13912345678",
    )
    return services.perform(made, "accept", actor=p["community_officer"])


def test_system_admin_opens_category_and_holiday_pages(cw, client):
    client.force_login(cw.personas["system_admin"])
    for name in (
        "admin:cases_category_changelist",
        "admin:cases_category_add",
        "admin:cases_holidayoverride_changelist",
        "admin:cases_holidayoverride_add",
    ):
        assert client.get(reverse(name)).status_code == 200, name
    page = client.get(reverse("admin:cases_category_changelist"), {"q": "物业"})
    assert "物业报修" in page.content.decode()
    page = client.get(reverse("admin:cases_category_change", args=[cw.repair.pk]))
    assert page.status_code == 200
    # Cases are not the system admin's business.
    assert client.get(reverse("admin:cases_case_changelist")).status_code == 403


def test_system_admin_changes_a_categorys_limits_and_adds_a_child(cw, client):
    client.force_login(cw.personas["system_admin"])
    repair = cw.repair
    response = client.post(
        reverse("admin:cases_category_change", args=[repair.pk]),
        {
            "name": "物业报修",
            "kind": "request",
            "urgency": Urgency.PRESSING,
            "sign_limit": 4,
            "sign_unit": "hours",
            "resolve_limit": 3,
            "resolve_unit": "workdays",
            "escalate_when_overdue": "on",
            "default_handler": cw.dept_housing.pk,
            "active": "on",
            "description": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    repair.refresh_from_db()
    assert (repair.urgency, repair.sign_limit, repair.resolve_limit) == ("pressing", 4, 3)
    assert repair.default_handler == cw.dept_housing and repair.code == "T010101"
    mid = repair.parent
    response = client.post(
        reverse("admin:cases_category_add"),
        {
            "code": "T010103",
            "name": "电梯维修",
            "parent": mid.pk,
            "source": "community",
            "kind": "request",
            "urgency": "urgent",
            "sign_limit": 2,
            "sign_unit": "hours",
            "resolve_limit": 24,
            "resolve_unit": "hours",
            "active": "on",
            "description": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    new = Category.objects.get(code="T010103")
    assert new.level == 3 and new.full_name == "城乡建设 › 住房保障与房地产 › 电梯维修"


def test_a_fourth_level_and_a_bad_limit_are_refused(cw, client):
    client.force_login(cw.personas["system_admin"])
    response = client.post(
        reverse("admin:cases_category_add"),
        {
            "code": "T01010101",
            "name": "太深",
            "parent": cw.repair.pk,
            "source": "community",
            "kind": "request",
            "urgency": "ordinary",
            "sign_limit": 0,
            "sign_unit": "workdays",
            "resolve_unit": "workdays",
            "active": "on",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "最多三级" in body and "时限须在1到365之间" in body
    assert not Category.objects.filter(code="T01010101").exists()


def test_categories_are_not_deleted_here(cw, client):
    client.force_login(cw.personas["system_admin"])
    url = reverse("admin:cases_category_delete", args=[cw.repair.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Category.objects.filter(pk=cw.repair.pk).exists()


def test_holidays_are_added_edited_and_deleted(cw, client):
    client.force_login(cw.personas["system_admin"])
    response = client.post(
        reverse("admin:cases_holidayoverride_add"),
        {"date": "2030-10-01", "is_workday": "", "name": "国庆节"},
    )
    assert response.status_code == 302
    day = HolidayOverride.objects.get(date=dt.date(2030, 10, 1))
    response = client.post(
        reverse("admin:cases_holidayoverride_change", args=[day.pk]),
        {"date": "2030-10-01", "is_workday": "on", "name": "调休上班"},
    )
    assert response.status_code == 302
    day.refresh_from_db()
    assert day.is_workday and day.name == "调休上班"
    response = client.post(
        reverse("admin:cases_holidayoverride_delete", args=[day.pk]), {"post": "yes"}
    )
    assert response.status_code == 302 and not HolidayOverride.objects.exists()


def test_superuser_reads_a_case_with_its_events_but_cannot_change_it(case, client, superuser):
    client.force_login(superuser)
    assert client.get(reverse("admin:cases_case_changelist")).status_code == 200
    page = client.get(reverse("admin:cases_case_change", args=[case.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert case.number in body and "accept" in body  # the events inline
    assert "139****5678" in body and "13912345678" not in body
    assert 'name="_save"' not in body
    before = (case.status, case.version, CaseEvent.objects.count())
    response = client.post(
        reverse("admin:cases_case_change", args=[case.pk]),
        {"status": S.CLOSED, "title": "改了"},
    )
    assert response.status_code == 403
    assert client.get(reverse("admin:cases_case_add")).status_code == 403
    response = client.post(reverse("admin:cases_case_delete", args=[case.pk]), {"post": "yes"})
    assert response.status_code == 403
    case.refresh_from_db()
    assert (case.status, case.version, CaseEvent.objects.count()) == before
    assert case.title != "改了"


def test_events_are_read_only_too(case, client, superuser):
    client.force_login(superuser)
    event = CaseEvent.objects.filter(case=case).first()
    assert client.get(reverse("admin:cases_caseevent_changelist")).status_code == 200
    assert client.get(reverse("admin:cases_caseevent_change", args=[event.pk])).status_code == 200
    response = client.post(
        reverse("admin:cases_caseevent_delete", args=[event.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert client.get(reverse("admin:cases_caseevent_add")).status_code == 403
    assert CaseEvent.objects.filter(pk=event.pk).exists()


def test_case_admin_lists_only_cases_in_scope(case, cw, client):
    """A staff user with a subtree sees the cases there and nothing else (404 outside)."""
    from doorstep.accounts.models import Membership, Role

    other = services.create_case(
        actor=cw.personas["resident"],
        category=cw.repair,
        description="二里庄的路灯坏了",
        location=locate(building=cw.world.building_c),
    )
    officer = User.objects.create_user(username="c1staff", password="x-Pass-2026", is_staff=True)
    Membership.objects.create(
        user=officer,
        organisation=cw.world.community_1,
        role=Role.objects.get(code="community_staff"),
    )
    client.force_login(officer)
    page = client.get(reverse("admin:cases_case_changelist"))
    assert page.status_code == 200
    body = page.content.decode()
    assert case.number in body and other.number not in body
    assert client.get(reverse("admin:cases_case_change", args=[other.pk])).status_code in (302, 404)
    assert Case.objects.count() == 2
