"""Every figure on the cockpit equals a direct count over the underlying rows, for the
persona world with cases, sites, activities and service played through the services; the
page and the API show the same numbers; the viewer's scope bounds every node."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.db.models import Q
from django.utils import timezone

from doorstep.atlas.people.models import VULNERABLE_TAGS, PartyMember, Resident
from doorstep.atlas.places.models import Household
from doorstep.cases import services as cases
from doorstep.cases.locating import locate
from doorstep.cases.models import Case, CaseEvent
from doorstep.cockpit.panels import AGE_BANDS, Period, cockpit
from doorstep.nearby.activities.models import Activity
from doorstep.service.models import ServiceRecord

pytestmark = pytest.mark.django_db


def _play(cw, n: int, seed: int) -> None:
    """n cases, each taken a random distance along the pool loop."""
    rng = random.Random(seed)
    p, w = cw.personas, cw.world
    buildings = [w.building_a, w.building_b, w.building_c]
    steps = [
        ("accept", "community_officer", {}),
        ("publish", "community_officer", {}),
        ("claim", "party_member", {}),
        ("start", "party_member", {}),
        ("resolve", "party_member", {"note": "办好了"}),
        ("verify", "community_officer", {}),
        ("rate", "resident", {"rating": "satisfied", "solved": True}),
    ]
    for i in range(n):
        building = rng.choice(buildings[:2])
        case = cases.create_case(
            actor=p["resident"], category=rng.choice([cw.wish, cw.repair]),
            description=f"诉求{i}", location=locate(building=building),
        )  # fmt: skip
        for code, who, extra in steps[: rng.randint(0, len(steps))]:
            case = cases.perform(case, code, actor=p[who], **extra)


def _age(born: dt.date, today: dt.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _period() -> Period:
    today = timezone.localdate()
    return Period(today - dt.timedelta(days=30), today)


def _received_by_category(org, period: Period) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for event in CaseEvent.objects.filter(
        case__territory_path__startswith=org.path,
        at__date__gte=period.start,
        at__date__lte=period.end,
    ).select_related("case__category"):
        if (event.data or {}).get("received"):
            name = event.case.category.name if event.case.category else "未分类"
            counts[name] = counts.get(name, 0) + 1
    return sorted(counts.items(), key=lambda r: (-r[1], r[0]))


@pytest.mark.parametrize("seed", [3, 4])
def test_top_categories_equal_the_received_cases_by_category(cw, seed):
    """Whole months read the category counters, other periods count events: both agree
    with a count over the events, and with the 受理量 figure."""
    _play(cw, 15, seed)
    today = timezone.localdate()
    for period in (Period(today.replace(day=1), today), _period()):
        for org in (cw.world.street, cw.world.community_1, cw.world.grid_b):
            f = cockpit(org, period, today)["cases"]
            expected = _received_by_category(org, period)
            assert f["top_categories"] == expected
            assert sum(n for _, n in f["top_categories"]) == f["rates"]["received"]


@pytest.mark.parametrize("seed", [1, 2])
def test_cockpit_figures_equal_direct_counts(cw, seed):
    _play(cw, 12, seed)
    w = cw.world
    period = _period()
    today = timezone.localdate()
    for org in (w.street, w.community_1, w.grid_a, w.community_2):
        f = cockpit(org, period, today)
        under = Q(territory_path__startswith=org.path)
        events = CaseEvent.objects.filter(
            case__territory_path__startswith=org.path,
            at__date__gte=period.start,
            at__date__lte=period.end,
        )
        assert f["cases"]["rates"]["received"] == events.filter(move="accept").count() + (
            events.filter(move="self_handle").count()
        )
        assert f["cases"]["rates"]["closed"] == events.filter(to_status="closed").count()
        assert f["cases"]["overdue"] == Case.objects.filter(under, flag="overdue").count()
        residents = Resident.objects.filter(grid__path__startswith=org.path)
        assert f["population"]["residents"] == residents.count()
        assert sum(f["population"]["age_bands"].values()) + f["population"]["unknown_age"] == (
            residents.count()
        )
        for low, high, label in AGE_BANDS:
            born = [r.birth_date for r in residents if r.birth_date]
            in_band = [b for b in born if low <= _age(b, today) < high]
            assert f["population"]["age_bands"][label] == len(in_band)
        assert f["population"]["male"] == residents.filter(gender="M").count()
        for code, label in VULNERABLE_TAGS:  # tags are encrypted: counted after decrypting
            tagged = [r for r in residents if code in (r.tags or [])]
            assert f["population"]["vulnerable"][label] == len(tagged)
        households = Household.objects.filter(grid__path__startswith=org.path)
        assert f["housing"]["households"] == households.count()
        assert f["housing"]["rented"] == households.filter(tenure="rented").count()
        assert f["party"]["party_members"] == (
            PartyMember.objects.filter(resident__grid__path__startswith=org.path).count()
        )
        hours = sum(
            (r.hours for r in ServiceRecord.objects.filter(
                organisation_path__startswith=org.path, status="verified"
            )),
            Decimal("0"),
        )  # fmt: skip
        assert f["services"]["volunteer_hours"] == hours
        assert (
            f["services"]["activities"]
            == Activity.objects.filter(
                territory_path__startswith=org.path, starts_at__lte=timezone.now()
            ).count()
        )


def test_the_page_and_the_api_show_the_same_numbers_and_respect_scope(cw, client):
    import re

    _play(cw, 8, 3)
    w, p = cw.world, cw.personas
    client.force_login(p["community_officer"])
    r = client.get(f"/cockpit/{w.community_1.pk}/")
    assert r.status_code == 200
    page = r.content.decode()
    data = client.get(f"/api/cockpit/{w.community_1.pk}").json()
    for key, value in (
        ("received", data["cases"]["rates"]["received"]),
        ("closed", data["cases"]["rates"]["closed"]),
        ("residents", data["population"]["residents"]),
        ("households", data["housing"]["households"]),
        ("party_members", data["party"]["party_members"]),
    ):
        m = re.search(rf'data-figure="{key}"[^>]*><b>([^<]+)</b>', page)
        assert m and m.group(1) == str(value), key
    # the street and the other community are out of scope: 404, page and API alike
    for org in (w.street, w.community_2):
        assert client.get(f"/cockpit/{org.pk}/").status_code == 404
        assert client.get(f"/api/cockpit/{org.pk}").status_code == 404
    assert client.get("/cockpit/").url == f"/cockpit/{w.community_1.pk}/"
    client.force_login(p["resident"])
    assert client.get("/cockpit/").status_code == 403
    assert client.get(f"/api/cockpit/{w.community_1.pk}").status_code == 404
    client.force_login(p["street_officer"])
    assert client.get(f"/cockpit/{w.street.pk}/?screen=1").status_code == 200
    r = client.get(f"/cockpit/{w.street.pk}/", {"start": "2026-13-01"})
    assert r.status_code == 400 and "日期格式" in r.content.decode()
    r = client.get(f"/api/cockpit/{w.street.pk}", {"start": "2026-05-01", "end": "2026-04-01"})
    assert r.status_code == 400


def test_overdue_drill_down_lists_only_the_nodes_overdue_cases(cw, client):
    _play(cw, 6, 4)
    w, p = cw.world, cw.personas
    overdue = list(Case.objects.filter(territory_path__startswith=w.grid_a.path)[:2])
    Case.objects.filter(pk__in=[c.pk for c in overdue]).update(flag="overdue")
    client.force_login(p["street_officer"])
    page = client.get(f"/cases/?tab=all&flag=overdue&org={w.grid_a.pk}").content.decode()
    for case in overdue:
        assert case.number in page
    others = Case.objects.exclude(pk__in=[c.pk for c in overdue])
    assert all(c.number not in page for c in others)


def test_age_bands_turn_on_the_birthday_itself(world):
    """Born exactly 18 years ago today is 18 (18–34岁); a day later is still 17; 29 February
    birthdays and unknown dates land where a direct age count puts them."""
    from doorstep.atlas.people import services
    from doorstep.cockpit.panels import _years_ago

    today = timezone.localdate()
    dates = [
        _years_ago(today, 18),
        _years_ago(today, 18) + dt.timedelta(days=1),
        _years_ago(today, 60) - dt.timedelta(days=1),
        _years_ago(today, 80),
        dt.date(2000, 2, 29),
        None,
    ]
    for i, born in enumerate(dates):
        services.create_resident(
            household=world.household_b, name=f"边界{i}", residence_type="registered",
            birth_date=born, actor=None,
        )  # fmt: skip
    bands = cockpit(world.grid_b, _period(), today)["population"]["age_bands"]
    residents = Resident.objects.filter(grid=world.grid_b, birth_date__isnull=False)
    for low, high, label in AGE_BANDS:
        assert bands[label] == sum(1 for r in residents if low <= _age(r.birth_date, today) < high)
    assert bands["18–34岁"] >= 1 and bands["0–17岁"] >= 1
